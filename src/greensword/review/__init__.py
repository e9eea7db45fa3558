"""Case-file review (案卷评查) and unit audits (稽查)."""
