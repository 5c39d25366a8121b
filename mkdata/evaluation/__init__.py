"""Evaluation of what mkdata builds: retrieval benchmarks scored with a maintained evaluator."""
