"""The output run: the one lifecycle of a command's output directory.

Every command writes through :class:`OutputRun`:

- **Ownership**: OUT is used only when it does not exist, is empty, or was written by
  mkdata (``OUT/.mkdata/output.json``, or the ``mkdata.json`` of an older mkdata). A
  directory mkdata did not write is refused (:class:`OutputRefused`, exit 2) before
  anything in it is touched. An mkdata output of another command is refused too, unless
  ``overwrite`` is set, which removes only what mkdata wrote there.
- **Lock**: one writer per OUT, an OS lock on ``OUT/.mkdata/lock`` held until the run
  ends or its process dies; a second run gets :class:`OutputLocked` (exit 75).
- **Staging and publish**: a command writes its parts (``data/``, ``beir/``,
  ``removed/``...) under :attr:`OutputRun.staging`; :meth:`OutputRun.publish` moves each
  complete part into OUT, replacing the part an earlier run wrote, then writes the
  manifest and the dataset card. Parts an earlier run of this command published and this
  one did not are removed; nothing else in OUT is.
- Resume state lives in :meth:`OutputRun.state` folders, inside ``OUT/.mkdata``.
- Card preparation: a command whose own work is short next to the start-up of the card's
  chart library, and that holds no large model, opens its run with ``prepare_card`` (or
  calls :meth:`OutputRun.prepare_card_now` once a core is left free) so that the card
  writer's preparation (a helper process that loads the chart library) runs while the
  command works; a CLI command that will leave a core free enters
  :func:`card_prepared_ahead` before its own imports, so that the preparation overlaps
  them too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol

from mkdata.core.atomic import read_json, write_json_atomic
from mkdata.core.errors import OutputLocked, OutputRefused
from mkdata.core.manifest import MANIFEST, write_manifest

STATE_DIR = ".mkdata"
MARKER = "output.json"
LOCK = "lock"
CARD = "README.md"
ANY_COMMAND = "*"  # for runs that only refresh an output's metadata (the card)


class CardPrepared(Protocol):
    """Work a card writer started when the run opened its output (see set_card_writer)."""

    def close(self) -> None: ...


CardWriter = Callable[["OutputRun"], Any]
CardPreparer = Callable[[], "CardPrepared | None"]
_card_writer: list[CardWriter] = []
_card_preparer: list[CardPreparer] = []


def set_card_writer(writer: CardWriter | None, prepare: CardPreparer | None = None) -> None:
    """Set the function that writes the card of a published run (``OUT/README.md`` from
    ``OUT/mkdata.json``, its images staged and published with :meth:`OutputRun.publish_part`).

    ``prepare()``, called when a run has opened its output, may start work the writer will
    use (e.g. a process that loads the chart library meanwhile); what it returns (None, or
    an object with ``close()``, closed when the run ends) is the run's ``card_prepared``."""
    _card_writer[:] = [writer] if writer else []
    _card_preparer[:] = [prepare] if writer and prepare else []


# the preparation card_prepared_ahead started, until a run takes it
_prepared_ahead: list[CardPrepared] = []


@contextlib.contextmanager
def card_prepared_ahead(spare: bool) -> Iterator[None]:
    """Within this block, the card writer's preparation (see set_card_writer) has started on
    entry where ``spare`` (the command will leave a core free), and the first run that
    prepares its card takes it (:meth:`OutputRun.prepare_card_now`) instead of starting its
    own. A command enters the block before its own imports. Nothing starts without a
    preparer, nor while a preparation such a block started waits for its run; a
    preparation no run took is closed on exit."""
    if not spare or not _card_preparer or _prepared_ahead:
        yield
        return
    prepared = _card_preparer[0]()
    if prepared is None:
        yield
        return
    _prepared_ahead.append(prepared)
    try:
        yield
    finally:
        if _prepared_ahead and _prepared_ahead[0] is prepared:
            _prepared_ahead.clear()
            prepared.close()


def _legacy_marker(out: Path) -> dict[str, Any] | None:
    """The ownership facts of an output written before markers existed, else None."""
    try:
        manifest = read_json(out / MANIFEST)
    except (ValueError, OSError):
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("tool"), dict):
        return None
    if manifest["tool"].get("name") != "mkdata" or not manifest.get("command"):
        return None
    record, params = manifest.get("record"), manifest.get("parameters") or {}
    parts = ["data"]  # only what that command itself wrote, never a look-alike folder
    parts += ["beir"] if record == "beir" else []
    parts += ["removed"] if params.get("write_removed") else []
    parts += ["rejects"] if record == "negatives" else []
    return {"tool": "mkdata", "command": manifest["command"], "parts": parts}


def read_marker(out: Path) -> dict[str, Any] | None:
    """What mkdata recorded about the output ``out`` (command, parts), or None if not mkdata's."""
    try:
        marker = read_json(out / STATE_DIR / MARKER)
    except (ValueError, OSError):
        marker = None
    if isinstance(marker, dict) and marker.get("tool") == "mkdata":
        parts = marker.get("parts")
        valid = isinstance(marker.get("command"), str) and marker["command"].strip()
        valid = valid and isinstance(parts, list) and all(_plain_part(x) for x in parts)
        if not valid:
            raise OutputRefused(
                f"{out}: its mkdata marker ({STATE_DIR}/{MARKER}) is damaged; refusing to "
                "write into it (choose another --out)"
            )
        return marker
    return _legacy_marker(out)


def _plain_part(name: object) -> bool:
    return isinstance(name, str) and bool(name) and "/" not in name and not name.startswith(".")


def _starting_state(out: Path) -> bool:
    """True when ``OUT/.mkdata`` is what a starting mkdata run leaves: a real folder holding
    at most a regular ``lock`` file with a process id (another run is creating OUT now)."""
    state = out / STATE_DIR
    if not state.exists():
        return True
    if state.is_symlink() or not state.is_dir():
        return False
    # the lock, and the marker's temporary file while the starting run writes it
    entries = {e.name for e in os.scandir(state) if not e.name.startswith(f".{MARKER}.tmp-")}
    if not entries <= {LOCK}:
        return False
    lock = state / LOCK
    if not entries:
        return True
    if lock.is_symlink() or not lock.is_file():
        return False
    return lock.read_bytes().strip().isdigit() or lock.stat().st_size == 0


def check_output(out: Path, command: str, overwrite: bool = False) -> dict[str, Any] | None:
    """Raise OutputRefused unless ``command`` may write ``out``; return its marker (if any).

    Reads only: nothing is created or changed.
    """
    if not out.exists():
        if out.is_symlink():
            raise OutputRefused(f"{out}: is a dangling symbolic link; choose another --out")
        return None
    if not out.is_dir():
        raise OutputRefused(f"{out}: exists and is not a directory; choose another --out")
    try:
        entries = {e.name for e in os.scandir(out)}
    except OSError as exc:
        raise OutputRefused(f"{out}: cannot read ({exc.strerror})") from None
    state = out / STATE_DIR
    if state.is_symlink() or (state.exists() and not state.is_dir()):
        raise OutputRefused(f"{out}: {STATE_DIR} is not a folder mkdata made; refusing")
    marker = read_marker(out)
    if marker is None:
        if entries <= {STATE_DIR} and _starting_state(out):
            return None  # empty, or another mkdata run is creating it right now
        raise OutputRefused(
            f"{out}: exists and was not written by mkdata; refusing to write into it "
            "(choose a new or empty --out)"
        )
    previous = marker.get("command", "")
    if command not in (ANY_COMMAND, previous) and previous and not overwrite:
        raise OutputRefused(
            f"{out}: holds the output of `mkdata {previous}`; choose another --out, "
            "or pass --overwrite to replace it"
        )
    return marker


def check_inputs_outside(out: Path, inputs: list[Path]) -> None:
    """OutputRefused when an input is ``out`` or lies inside it: writing (or --overwrite)
    would change what is being read, and a re-run would read its own output."""
    target = out.resolve()
    for raw in inputs:
        try:
            path = Path(raw).resolve()
        except (OSError, RuntimeError):
            continue
        if path == target or target in path.parents:
            raise OutputRefused(
                f"{out}: holds an input of this run ({raw}); choose an --out outside the inputs"
            )


class OutputRun:
    """One command's run on its output directory (see the module docstring).

    Use as a context manager: entering checks ownership and takes the lock; leaving
    releases the lock and drops the staging area.
    """

    def __init__(
        self,
        out: Path,
        command: str,
        overwrite: bool = False,
        inputs: list[Path] | tuple[Path, ...] = (),
        prepare_card: bool = False,
    ) -> None:
        self.out = Path(out)
        self.prepare_card = prepare_card
        self.command = command
        self.overwrite = overwrite
        self.inputs = list(inputs)
        self.started = time.perf_counter()
        self._lock: IO[str] | None = None
        self._marker: dict[str, Any] = {}
        self._created = False
        self._published = False
        self._replacing = False
        self._states: set[str] = set()
        self.card_prepared: CardPrepared | None = None  # see set_card_writer

    # ------------------------------------------------------------ lifecycle
    def __enter__(self) -> OutputRun:
        check_output(self.out, self.command, self.overwrite)
        check_inputs_outside(self.out, self.inputs)
        self._created = not self.out.exists()
        state = self.out / STATE_DIR
        state.mkdir(parents=True, exist_ok=True)
        try:  # never through a symbolic link: the lock file is truncated below
            fd = os.open(state / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise OutputRefused(f"{state / LOCK}: cannot open the lock ({exc.strerror})") from None
        fh = os.fdopen(fd, "r+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            raise OutputLocked(
                f"{self.out}: another mkdata run (pid {holder}) is writing it; retry later"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._lock = fh
        try:
            marker = check_output(self.out, self.command, self.overwrite) or {}
            # --overwrite of another command's output: nothing of it goes before this run
            # publishes (a run that fails on its inputs leaves that output as it was)
            previous = marker.get("command")
            self._replacing = self.command != ANY_COMMAND and previous not in (None, self.command)
            self._marker = {
                "tool": "mkdata",
                "command": previous or self.command,
                "parts": list(marker.get("parts", [])),
            }
            _refuse_symlinks(state)
            write_json_atomic(state / MARKER, self._marker)
            shutil.rmtree(self.staging, ignore_errors=True)
            if self.prepare_card:
                self.prepare_card_now()
        except BaseException:
            self._close_card_prepared()
            self._release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._close_card_prepared()
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)
            if exc is not None and self._created and not self._published and self._holds_nothing():
                shutil.rmtree(self.out, ignore_errors=True)  # a new OUT that got nothing: ours
            self._release()

    def prepare_card_now(self) -> None:
        """Start the card writer's preparation (see set_card_writer) if it has not started:
        for a command that leaves a core free only part of the way (its last units)."""
        if self.card_prepared is None and not self._published:
            if _prepared_ahead:
                self.card_prepared = _prepared_ahead.pop()
                return
            for prepare in _card_preparer:
                self.card_prepared = prepare()

    def _close_card_prepared(self) -> None:
        prepared, self.card_prepared = self.card_prepared, None
        if prepared is not None:
            prepared.close()

    def _holds_nothing(self) -> bool:
        """True when OUT holds no data and no resume state, only the lock and the marker."""
        try:
            top = {e.name for e in os.scandir(self.out)}
            state = {e.name for e in os.scandir(self.out / STATE_DIR)}
        except OSError:
            return False
        return top <= {STATE_DIR} and state <= {LOCK, MARKER}

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file releases the flock
            self._lock = None

    # ------------------------------------------------------------ places
    @property
    def staging(self) -> Path:
        """Where the parts of this run are written before :meth:`publish`."""
        return self.out / STATE_DIR / "staging"

    def state(self, name: str) -> Path:
        """A folder for resumable state ``name`` (unit results, stores) that survives runs."""
        path = self.out / STATE_DIR / name
        if path.is_symlink():
            raise OutputRefused(f"{path}: is a symbolic link; refusing")
        path.mkdir(parents=True, exist_ok=True)
        self._states.add(name.split("/")[0])
        return path

    # ------------------------------------------------------------ publish
    def publish(self, manifest: dict[str, Any]) -> None:
        """Move every staged part into OUT, then write the manifest and the card. The card of
        the data replaced goes with it: a run stopped before its own card is written (killed,
        disk full) leaves no card rather than one describing other data."""
        staged = sorted(p.name for p in self.staging.iterdir()) if self.staging.exists() else []
        stale = [p for p in self._marker["parts"] if p not in staged]
        self._swap_in(staged)
        self._remove_parts(stale)
        card = self.out / CARD
        if card.is_file() or card.is_symlink():
            card.unlink()
        if self._replacing:  # the replaced command's resume state goes too
            self._clear_state(keep=self._states)
        self._marker["parts"] = staged
        self._marker["command"] = self.command if self._replacing else self._marker["command"]
        write_json_atomic(self.out / STATE_DIR / MARKER, self._marker)
        manifest.setdefault("timings", {})
        manifest["timings"].setdefault(
            "total_seconds", round(time.perf_counter() - self.started, 3)
        )
        write_manifest(self.out, manifest)
        self._published = True
        self.write_card()

    def publish_part(self, name: str) -> None:
        """Move the staged part ``name`` (e.g. the card's ``images``) into OUT now, replacing
        mkdata's previous one; the rest of the output is left as it is."""
        if (self.staging / name).exists():
            self._swap_in([name])

    def _swap_in(self, names: list[str]) -> None:
        """Replace OUT/<name> by the staged part for each name (never what mkdata did not
        write), recording the parts in the marker first."""
        for name in names:
            target = self.out / name
            if (target.exists() or target.is_symlink()) and name not in self._marker["parts"]:
                raise OutputRefused(
                    f"{target}: exists and was not written by mkdata; move it away and re-run "
                    "(finished work is kept)"
                )
        trash = self.out / STATE_DIR / "trash"
        shutil.rmtree(trash, ignore_errors=True)
        self._marker["parts"] = sorted(set(self._marker["parts"]) | set(names))
        write_json_atomic(self.out / STATE_DIR / MARKER, self._marker)
        for name in names:
            target = self.out / name
            if target.exists() or target.is_symlink():
                trash.mkdir(parents=True, exist_ok=True)
                os.replace(target, trash / name)
            os.replace(self.staging / name, target)
        shutil.rmtree(trash, ignore_errors=True)

    def write_card(self) -> None:
        """(Re)write the card (``OUT/README.md`` and its images) with the registered card
        writer, if any."""
        for writer in _card_writer:
            writer(self)

    def _remove_parts(self, parts: list[str]) -> None:
        for name in parts:
            if not name or "/" in name or name.startswith("."):
                continue  # only top-level parts mkdata itself recorded
            target = self.out / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target, ignore_errors=True)
            elif target.exists() or target.is_symlink():
                target.unlink()

    def _clear_state(self, keep: set[str]) -> None:
        state = self.out / STATE_DIR
        for entry in state.iterdir():
            if entry.name in (LOCK, MARKER, "staging", *keep):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink()


def _refuse_symlinks(state: Path) -> None:
    """OutputRefused when anything inside ``state`` (OUT/.mkdata) is a symbolic link: mkdata
    never makes one there, and writing or deleting through it would reach outside OUT."""
    for root, dirs, files in os.walk(state):
        for name in dirs + files:
            path = Path(root) / name
            if path.is_symlink():
                raise OutputRefused(f"{path}: is a symbolic link; refusing")
