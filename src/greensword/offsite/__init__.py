"""Off-site supervision (非现场监管): detectors over the monitoring lake and leads."""
