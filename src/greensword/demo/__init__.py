"""Synthetic but realistic demo province."""
