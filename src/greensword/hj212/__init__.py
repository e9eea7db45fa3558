"""HJ 212 monitoring gateway: codec, TCP gateway, durable log, Parquet lake, device simulator."""
