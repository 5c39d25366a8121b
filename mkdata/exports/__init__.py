"""Exports: the same data in other tools' layouts (BEIR / MTEB retrieval benchmarks)."""
