"""Inspections: double-random draws (双随机一公开), targeted tasks, on-site records."""
