"""`mkdata push`: upload a dataset directory (card, manifest, shards) to a Hub dataset repo.

Only files that differ from the repo are uploaded (LFS files compared by sha256, small
files by git blob id), in commits of at most ``files_per_commit`` files, shards first
and the card last; shards in the repo that the directory no longer has are deleted
with the last commit. An interrupted push re-run uploads only what is still missing,
and a re-push of unchanged data makes no commit. The token comes from the environment
(``HF_TOKEN``), as huggingface_hub reads it; it is never printed or written.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdata.cards.card import card_text, existing_images
from mkdata.cards.plots import IMAGES
from mkdata.core.manifest import MANIFEST
from mkdata.core.output import CARD
from mkdata.core.shards import DATA_DIR

FILES_PER_COMMIT = 50  # well under the Hub's per-commit limits; each commit is atomic


@dataclass
class LocalFile:
    """A file of the dataset directory and where it goes in the repo."""

    path_in_repo: str
    local: Path
    size: int

    def sha256(self) -> str:
        h = hashlib.sha256()
        with open(self.local, "rb") as fh:
            while block := fh.read(1 << 20):
                h.update(block)
        return h.hexdigest()

    def git_blob_id(self) -> str:
        h = hashlib.sha1(f"blob {self.size}\0".encode())
        h.update(self.local.read_bytes())
        return h.hexdigest()


@dataclass
class PushPlan:
    """What a push would do: files to upload (in commit order), paths to delete."""

    repo: str
    files: list[LocalFile]
    upload: list[LocalFile] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    card: str = ""


def local_files(directory: Path) -> list[LocalFile]:
    """The card, its charts, the manifest and every shard of ``directory``; shards first,
    card last."""
    d = Path(directory)
    shards = sorted(
        p
        for p in (d / DATA_DIR).rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(d).parts)
        and p.name.lower().endswith((".parquet", ".jsonl"))
    )
    if not shards:
        raise ValueError(f"{d}: no shards under {DATA_DIR}/ (not a dataset directory)")
    images = [d / IMAGES / name for _, name in existing_images(d)]  # the card's charts
    extra = [d / MANIFEST, d / CARD]
    return [
        LocalFile(p.relative_to(d).as_posix(), p, p.stat().st_size)
        for p in shards + images + [p for p in extra if p.exists()]
    ]


def _api(token: str | None = None) -> Any:
    from huggingface_hub import HfApi

    return HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None, token=token)


def _remote_files(api: Any, repo: str, revision: str | None) -> dict[str, Any]:
    from huggingface_hub.errors import (
        EntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    try:
        entries = api.list_repo_tree(repo, repo_type="dataset", revision=revision, recursive=True)
        return {e.path: e for e in entries if hasattr(e, "blob_id")}
    except (RepositoryNotFoundError, RevisionNotFoundError, EntryNotFoundError):
        return {}


def _unchanged(local: LocalFile, remote: Any) -> bool:
    if remote is None or remote.size != local.size:
        return False
    if remote.lfs is not None:
        return remote.lfs.sha256 == local.sha256()
    return remote.blob_id == local.git_blob_id()


def plan_push(
    directory: Path,
    repo: str,
    revision: str | None = None,
    remote: bool = True,
    card: str | None = None,
) -> PushPlan:
    """Compare ``directory`` with the repo (unless ``remote`` is False: everything is new);
    ``card`` is the card text when it was just written, else it is rendered."""
    files = local_files(directory)
    plan = PushPlan(repo, files, card=card if card is not None else card_text(directory, repo))
    existing = _remote_files(_api(), repo, revision) if remote else {}
    plan.upload = [f for f in files if not _unchanged(f, existing.get(f.path_in_repo))]
    ours = {f.path_in_repo for f in files}
    plan.delete = sorted(p for p in existing if p.startswith(f"{DATA_DIR}/") and p not in ours)
    return plan


def push(
    directory: Path,
    repo: str,
    private: bool = False,
    revision: str | None = None,
    files_per_commit: int = FILES_PER_COMMIT,
    progress: Callable[[int, int], None] | None = None,
) -> PushPlan:
    """Create the repo if needed, write the card for it, and upload what changed."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    from mkdata.cards import write_card

    api = _api()
    api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
    if revision and revision != "main":
        api.create_branch(repo, repo_type="dataset", branch=revision, exist_ok=True)
    card = write_card(directory, repo).read_text("utf-8")
    plan = plan_push(directory, repo, revision, card=card)
    batches = [
        plan.upload[i : i + files_per_commit] for i in range(0, len(plan.upload), files_per_commit)
    ]
    if plan.delete and not batches:
        batches = [[]]
    for n, batch in enumerate(batches, 1):
        ops: list[Any] = [CommitOperationAdd(f.path_in_repo, str(f.local)) for f in batch]
        if n == len(batches):
            ops += [CommitOperationDelete(p) for p in plan.delete]
        api.create_commit(
            repo, ops, repo_type="dataset", revision=revision,
            commit_message=f"mkdata push ({n}/{len(batches)})",
        )  # fmt: skip
        if progress:
            progress(n, len(batches))
    return plan
