"""Dataset cards, their statistics and charts.

The names below load on first use: the chart helper process imports ``mkdata.cards.plots``
and must not pay for polars and the card's other imports."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mkdata.cards.card import render_card, write_card, write_card_of_run

__all__ = ["render_card", "write_card", "write_card_of_run"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from mkdata.cards import card

        return getattr(card, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
