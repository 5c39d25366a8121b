"""Errors every command shares, and the exit code each one means."""

from __future__ import annotations

EXIT_FAILED = 1  # work finally failed (an input, a unit, a prompt): retry later
EXIT_USAGE = 2  # bad options, bad input, or an output mkdata may not write
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds the output's lock; retry later


class MkdataError(Exception):
    """An error with a one-line message meant for the user; ``exit_code`` says how to exit."""

    exit_code = EXIT_USAGE


class OutputRefused(MkdataError, ValueError):
    """The output directory is not mkdata's (or holds another command's output)."""


class OutputLocked(MkdataError):
    """Another process holds the output directory's lock."""

    exit_code = EXIT_LOCKED
