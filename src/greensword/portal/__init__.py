"""The enterprise-facing side."""
