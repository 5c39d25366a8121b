"""Deduplication: exact, MinHash near-duplicate, semantic (sentence encoder), decontamination."""
