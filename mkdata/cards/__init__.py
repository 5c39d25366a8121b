"""Dataset cards, their statistics and charts."""

from mkdata.cards.card import render_card, write_card, write_card_of_run

__all__ = ["render_card", "write_card", "write_card_of_run"]
