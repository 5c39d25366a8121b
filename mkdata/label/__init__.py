"""`mkdata label`: topics, question types or custom labels for QA rows, by an LLM or by a
classifier trained on an LLM-labelled sample."""
