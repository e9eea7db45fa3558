"""The enterprise-facing side (企业端): study points for now; it reads and acts on the domains it
serves through their services."""
