"""Statistics, evaluation and ranking (大练兵评审, 执法效能评估), dashboards."""
