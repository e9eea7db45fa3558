"""Public disclosure (信息公开): facility search and report, decisions, bulk downloads, published draws."""
