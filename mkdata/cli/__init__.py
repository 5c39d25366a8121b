"""The command line: builds the typer app from one module per command family.

The command modules only parse options, call the library's ``run_x(cfg, progress)`` and
print; they import :mod:`mkdata.cli.common`, never this module.
"""

import atexit
import importlib
import os
import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer

# command name -> (module under mkdata.cli, attribute, whether it is a group of subcommands)
COMMANDS: dict[str, tuple[str, str, bool]] = {
    "build": ("build", "app", True),
    "dedup": ("dedup", "dedup", False),
    "mine": ("mining", "app", True),
    "eval": ("evaluate", "app", True),
    "synth": ("synth", "app", True),
    "label": ("label", "label", False),
    "export": ("exports", "app", True),
    "push": ("publish", "push_cmd", False),
    "run": ("pipeline", "run_cmd", False),
    "card": ("card", "card", False),
    "stats": ("card", "stats", False),
}


def make_app(only: str | None = None) -> "typer.Typer":
    """The typer app with every command, or with the command ``only`` alone (the modules of
    the others, and the libraries they load, are then not imported)."""
    from typing import Annotated

    import typer

    from mkdata import __version__
    from mkdata.cli.common import out_console

    app = typer.Typer(
        help="mkdata: build multilingual retrieval training data.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )

    @app.callback(invoke_without_command=True)
    def root(
        version: Annotated[
            bool, typer.Option("--version", help="Print the version and exit.")
        ] = False,
    ) -> None:
        """mkdata: build multilingual retrieval training data."""
        if version:
            out_console.print(f"mkdata {__version__}")
            raise typer.Exit()

    for name, (module, attribute, group) in COMMANDS.items():
        if only is not None and name != only:
            continue
        target = getattr(importlib.import_module(f"mkdata.cli.{module}"), attribute)
        if group:
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
    return app


def main() -> None:
    """The ``mkdata`` entry point: the app, with usage errors on one line (exit 2)."""
    import typer

    from mkdata.cli.common import fail, out_console
    from mkdata.core.errors import EXIT_USAGE

    invoked = sys.argv[1] if len(sys.argv) > 1 else None
    # `run` checks its stages against every command; help and errors list them all
    only = invoked if invoked in COMMANDS and invoked != "run" else None
    command = typer.main.get_command(make_app(only))
    try:
        code = command.main(prog_name="mkdata", standalone_mode=False)
    except typer.Abort:
        raise SystemExit(130) from None
    except Exception as exc:  # click's (or typer's vendored click's) usage errors
        message = getattr(exc, "format_message", None)
        exit_code = getattr(exc, "exit_code", None)
        if message is None or not isinstance(exit_code, int):
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":  # `mkdata` or `mkdata mine` alone
            out_console.print(message(), highlight=False, markup=False)
            raise SystemExit(exit_code) from None
        ctx = getattr(exc, "ctx", None)
        where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        raise SystemExit(fail(message() + where, exit_code or EXIT_USAGE).exit_code) from None
    raise SystemExit(code if isinstance(code, int) else 0)


def run() -> None:
    """The console entry point (``mkdata``, ``python -m mkdata``): :func:`main`, then, once
    it has ended with an exit code and the exit handlers have run (Ray's shutdown, process
    pools, logging), the process ends without the interpreter's teardown of the loaded
    libraries (~0.2 s after every command). Where a thread that is not a daemon still runs,
    a profiler or tracer is set (``python -m cProfile``, coverage: they write their results
    after this returns), or on an uncaught exception, the process ends as usual."""
    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    # threads: checked before and after the handlers (they may start some)
    if sys.getprofile() is not None or sys.gettrace() is not None or _threads_running():
        raise SystemExit(code)
    atexit._run_exitfuncs()
    if _threads_running():
        raise SystemExit(code)
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: nothing more can be written there
        pass
    os._exit(code)


def _threads_running() -> bool:
    """Whether a thread other than this one, and not a daemon, still runs."""
    me = threading.current_thread()
    return any(t is not me and t.is_alive() and not t.daemon for t in threading.enumerate())
