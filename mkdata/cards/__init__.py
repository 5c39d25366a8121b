"""Dataset cards: README.md with a Hub-valid YAML header, generated from ``mkdata.json``."""

from mkdata.cards.card import render_card, write_card

__all__ = ["render_card", "write_card"]
