"""Penalty cases (办案): statutory workflow, deadlines, discretion, documents."""
