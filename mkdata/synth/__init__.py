"""Synthetic queries: SAP (summarize-then-ask) generation; prompts and exemplars are data files."""
