"""Inspection's public names and labels (other domains import these, never the models)."""

#: Where an enforcement action comes from (task sources; cases reuse the shared labels).
SOURCES = {"routine": "双随机抽查", "lead": "非现场监管线索", "complaint": "信访投诉", "transfer": "移送交办",
           "special": "专项检查"}
