"""Bounds of a parquet shard (rows and uncompressed bytes); light, for configs and the CLI."""

DEFAULT_MAX_ROWS = 250_000
DEFAULT_MAX_BYTES = 256 << 20
