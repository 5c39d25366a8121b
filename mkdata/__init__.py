"""mkdata: build multilingual retrieval training data.

The top level holds the entry points (``cli``), a small core that owns every shared
concept (``core``: contracts, the output lifecycle, the input reader, the runner), and the
parts of the product (``builders``, ``dedup``, ``mining``, ``synth``, ``exports``,
``cards``, ``publish``), which import the core and never each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mkdata.core.output import OutputRun

__version__ = "0.1.0"


def _write_card(run: OutputRun) -> Path:
    from mkdata.cards import write_card_of_run

    return write_card_of_run(run)


def _start_chart_process() -> Any:
    from mkdata.cards.chart_process import ChartProcess

    return ChartProcess.start()


def _register_card_writer() -> None:
    """Every output run writes its dataset card at publish; a run opened with
    ``prepare_card`` starts the helper process that draws its charts (the composition root
    wires both)."""
    from mkdata.core.output import set_card_writer

    set_card_writer(_write_card, prepare=_start_chart_process)


_register_card_writer()
