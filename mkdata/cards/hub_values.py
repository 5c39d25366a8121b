"""Metadata values the Hugging Face Hub accepts in a dataset card, for the fields mkdata
writes (from the Hub's task taxonomy, `@huggingface/tasks` pipelines, and the
`datasets` metadata resources). Cards are checked against these before they are written."""

from __future__ import annotations

# task category -> the task ids (subtasks) the Hub lists under it (text tasks only)
TASKS: dict[str, tuple[str, ...]] = {
    "text-classification": (
        "acceptability-classification", "entity-linking-classification", "fact-checking",
        "intent-classification", "language-identification", "multi-class-classification",
        "multi-label-classification", "multi-input-text-classification",
        "natural-language-inference", "semantic-similarity-classification",
        "sentiment-classification", "topic-classification", "semantic-similarity-scoring",
        "sentiment-scoring", "sentiment-analysis", "hate-speech-detection", "text-scoring",
    ),
    "question-answering": ("extractive-qa", "open-domain-qa", "closed-domain-qa"),
    "translation": (),
    "sentence-similarity": (),
    "feature-extraction": (),
    "text-generation": (
        "dialogue-modeling", "dialogue-generation", "conversational", "language-modeling",
    ),
    "text2text-generation": (
        "text-simplification", "explanation-generation", "abstractive-qa",
        "open-domain-abstractive-qa", "closed-domain-qa", "open-book-qa", "closed-book-qa",
    ),
    "text-retrieval": (
        "document-retrieval", "utterance-retrieval", "entity-linking-retrieval",
        "fact-checking-retrieval",
    ),
    "zero-shot-classification": (),
}  # fmt: skip
MULTILINGUALITY = ("monolingual", "multilingual", "translation", "other")
SIZE_CATEGORIES = (
    "unknown", "n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "10M<n<100M",
    "100M<n<1B", "1B<n<10B", "10B<n<100B", "100B<n<1T", "n>1T",
)  # fmt: skip


def check_tasks(categories: list[str], task_ids: list[str]) -> None:
    """ValueError unless every category is a Hub task and every id a subtask of one of them."""
    for c in categories:
        if c not in TASKS:
            raise ValueError(f"task category {c!r} is not one the Hub lists")
    allowed = {t for c in categories for t in TASKS[c]}
    for t in task_ids:
        if t not in allowed:
            raise ValueError(f"task id {t!r} is not a subtask of {', '.join(categories)}")
