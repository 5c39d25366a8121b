"""mkdata: build multilingual retrieval training data.

The top level holds the entry points (``cli``), a small core that owns every shared
concept (``core``: contracts, the output lifecycle, the input reader, the runner), and the
parts of the product (``builders``, ``dedup``, ``mining``, ``synth``, ``exports``,
``cards``, ``publish``), which import the core and never each other.
"""

from pathlib import Path

__version__ = "0.1.0"


def _write_card(out: Path) -> Path:
    from mkdata.cards import write_card

    return write_card(out)


def _register_card_writer() -> None:
    """Every output run writes its dataset card at publish (the composition root wires it)."""
    from mkdata.core.output import set_card_writer

    set_card_writer(_write_card)


_register_card_writer()
