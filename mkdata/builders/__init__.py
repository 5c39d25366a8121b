"""Builders: read a source format and produce canonical QA-pair records.

Each builder only knows how to read its source into raw (url, question, answer)
triples; everything after that (normalization, filters, language ID, dedup,
shards, card, manifest, resume) is shared in :mod:`mkdata.builders.qa_build`.
"""
