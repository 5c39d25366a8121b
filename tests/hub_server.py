"""A real HTTP server on 127.0.0.1 that answers the Hugging Face Hub endpoints huggingface_hub
uses to push to a dataset repo (create repo, branch, tree listing, preupload, LFS batch and
upload, commit) and to read it back (repo info, tree listing, paths-info, resolve), keeps the
repos in memory, and records every commit. Tests only.

Parquet files are LFS (as on the Hub), the rest regular. ``fail_commits`` lists commit
numbers (1-based, counted over the server's life) answered with HTTP 500, to interrupt a
push. Every commit is kept as a ``Snapshot``, so a revision is a branch name or a commit id;
files put straight into ``repos[...].branches`` become a commit when next read. Missing repos,
revisions and files get 404 with the Hub's ``X-Error-Code``. Private repos are not enforced.
Run clients with HF_HUB_DISABLE_XET=1: the Xet transfer protocol is not emulated.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


def _now() -> str:
    """The current time as the Hub writes dates (``2024-01-31T12:00:00.000Z``)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Repo:
    private: bool
    branches: dict[str, dict[str, bytes]] = field(default_factory=lambda: {"main": {}})
    heads: dict[str, str] = field(default_factory=dict)  # branch -> commit id of its tip
    created: str = field(default_factory=_now)


@dataclass
class Snapshot:
    """One commit: the repo's files after it, and the commit that last changed each path."""

    repo: str
    oid: str
    seq: int
    title: str
    date: str
    files: dict[str, bytes]
    last: dict[str, str]


class HubError(Exception):
    """A 404 the Hub answers with ``X-Error-Code`` (RepoNotFound, RevisionNotFound, ...)."""

    def __init__(self, code: str, message: str, commit: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.commit = code, message, commit


class HubServer:
    """The fake Hub; ``url`` is its endpoint, ``repos`` its state, ``commits`` what it got."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.lfs: dict[str, bytes] = {}
        self.commits: list[dict[str, Any]] = []
        self.snapshots: dict[str, Snapshot] = {}
        self.fail_commits: set[int] = set()
        self.commit_calls = 0
        self.uploads: list[str] = []
        self.auth: list[str | None] = []
        self.lock = threading.RLock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(code)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _json(self, code: int, obj: Any, headers: dict[str, str] | None = None) -> None:
                headers = {"Content-Type": "application/json", **(headers or {})}
                self._send(code, json.dumps(obj).encode(), headers)

            def _fail(self, err: HubError) -> None:
                headers = {"X-Error-Code": err.code, "X-Error-Message": err.message}
                if err.commit:
                    headers["X-Repo-Commit"] = err.commit
                self._json(404, {"error": err.message}, headers)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_HEAD(self) -> None:
                hub.auth.append(self.headers.get("Authorization"))
                try:
                    if not self._resolve_file():
                        self._json(404, {"error": f"no route {urlsplit(self.path).path}"})
                except HubError as err:
                    self._fail(err)

            def do_GET(self) -> None:
                hub.auth.append(self.headers.get("Authorization"))
                try:
                    if not (self._resolve_file() or self._read_api()):
                        self._json(404, {"error": f"no route {urlsplit(self.path).path}"})
                except HubError as err:
                    self._fail(err)

            def _read_api(self) -> bool:
                """Answer repo info and tree listings; False if the path is none of them."""
                split = urlsplit(self.path)
                query = parse_qs(split.query)
                m = re.fullmatch(r"/api/datasets/([^/]+/[^/]+)/tree/([^/]+)(?:/(.*))?", split.path)
                if m:
                    snap = hub.resolve(unquote(m.group(1)), unquote(m.group(2)))
                    directory = unquote(m.group(3) or "").strip("/")
                    entries = hub.listing(snap, directory, _flag(query, "recursive"))
                    if entries is None:
                        raise HubError("EntryNotFound", f"{directory} does not exist", snap.oid)
                    self._json(200, [hub.entry(snap, p, _flag(query, "expand")) for p in entries])
                    return True
                m = re.fullmatch(r"/api/datasets/([^/]+/[^/]+)(?:/revision/(.+))?", split.path)
                if m:
                    name = unquote(m.group(1))
                    snap = hub.resolve(name, unquote(m.group(2)) if m.group(2) else None)
                    self._json(200, hub.info(name, snap, _flag(query, "blobs")))
                    return True
                return False

            def _resolve_file(self) -> bool:
                """Serve GET/HEAD /datasets/{repo}/resolve/{rev}/{path}, with byte ranges."""
                split = urlsplit(self.path)
                m = re.fullmatch(r"/datasets/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", split.path)
                if not m:
                    return False
                snap = hub.resolve(unquote(m.group(1)), unquote(m.group(2)))
                path = unquote(m.group(3))
                if path not in snap.files:
                    raise HubError("EntryNotFound", f"{path} does not exist", snap.oid)
                data = snap.files[path]
                entry = _entry(path, data)
                size = len(data)
                headers = {
                    "Content-Type": "application/octet-stream",
                    "Accept-Ranges": "bytes",
                    "X-Repo-Commit": snap.oid,
                    "ETag": f'"{entry["oid"]}"',
                }
                if "lfs" in entry:  # the Hub names the LFS object, not the pointer
                    headers["ETag"] = headers["X-Linked-Etag"] = f'"{entry["lfs"]["oid"]}"'
                    headers["X-Linked-Size"] = str(size)
                rng = re.fullmatch(r"bytes=(\d*)-(\d*)", (self.headers.get("Range") or "").strip())
                if self.command == "GET" and rng and (rng.group(1) or rng.group(2)):
                    if rng.group(1):
                        start = int(rng.group(1))
                        end = min(int(rng.group(2)) if rng.group(2) else size - 1, size - 1)
                    else:
                        start, end = max(size - int(rng.group(2)), 0), size - 1
                    if start >= size or start > end:
                        headers["Content-Range"] = f"bytes */{size}"
                        self._send(416, b"", headers)
                    else:
                        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
                        self._send(206, data[start : end + 1], headers)
                    return True
                self._send(200, data, headers)
                return True

            def do_PUT(self) -> None:
                path = urlsplit(self.path).path
                data = self._body()
                oid = path.rsplit("/", 1)[-1]
                if hashlib.sha256(data).hexdigest() != oid:
                    self._json(400, {"error": "sha256 mismatch"})
                    return
                hub.lfs[oid] = data
                hub.uploads.append(oid)
                self._json(200, {})

            def do_POST(self) -> None:
                hub.auth.append(self.headers.get("Authorization"))
                path = unquote(urlsplit(self.path).path)
                body = self._body()
                if path == "/api/validate-yaml":
                    self._json(200, {"errors": [], "warnings": []})
                    return
                if path == "/api/repos/create":
                    req = json.loads(body)
                    name = (
                        f"{req.get('organization') or 'user'}/{req['name']}"
                        if "/" not in req["name"]
                        else req["name"]
                    )
                    if name in hub.repos:
                        self._json(
                            409,
                            {
                                "error": "You already created this dataset repo",
                                "url": f"{hub.url}/datasets/{name}",
                            },
                        )
                        return
                    hub.repos[name] = Repo(private=bool(req.get("private")))
                    self._json(200, {"url": f"{hub.url}/datasets/{name}", "name": name})
                    return
                m = re.fullmatch(r"/api/datasets/([^/]+/[^/]+)/branch/(.+)", path)
                if m:
                    with hub.lock:
                        repo = hub.repos[m.group(1)]
                        if m.group(2) in repo.branches:
                            self._json(409, {"error": "Reference already exists"})
                            return
                        start = hub.head(m.group(1), "main")
                        repo.branches[m.group(2)] = dict(repo.branches["main"])
                        repo.heads[m.group(2)] = start
                    self._json(200, {})
                    return
                m = re.fullmatch(r"/api/datasets/([^/]+/[^/]+)/paths-info/(.+)", path)
                if m:
                    try:
                        snap = hub.resolve(m.group(1), m.group(2))
                    except HubError as err:
                        self._fail(err)
                        return
                    paths, expand = _paths_request(self.headers.get("Content-Type") or "", body)
                    found = [p for p in (q.strip("/") for q in paths) if hub.kind(snap, p)]
                    self._json(200, [hub.entry(snap, p, expand) for p in found])
                    return
                m = re.fullmatch(r"/api/datasets/([^/]+/[^/]+)/preupload/(.+)", path)
                if m:
                    files = json.loads(body)["files"]
                    self._json(200, {"files": [
                        {"path": f["path"], "uploadMode": "lfs" if f["path"].endswith(".parquet") else "regular",
                         "shouldIgnore": False, "oid": None} for f in files
                    ]})  # fmt: skip
                    return
                m = re.fullmatch(r"/datasets/([^/]+/[^/]+)\.git/info/lfs/objects/batch", path)
                if m:
                    objects = []
                    for obj in json.loads(body)["objects"]:
                        entry = {"oid": obj["oid"], "size": obj["size"]}
                        if obj["oid"] not in hub.lfs:
                            entry["actions"] = {
                                "upload": {"href": f"{hub.url}/lfs-upload/{obj['oid']}"}
                            }
                        objects.append(entry)
                    self._json(200, {"transfer": "basic", "objects": objects})
                    return
                m = re.fullmatch(r"/api/datasets/([^/]+/[^/]+)/commit/(.+)", path)
                if m:
                    hub.commit_calls += 1
                    if hub.commit_calls in hub.fail_commits:
                        self._json(500, {"error": "internal error"})
                        return
                    with hub.lock:
                        repo = hub.repos[m.group(1)]
                        parent = (
                            hub.snapshots[hub.head(m.group(1), m.group(2))]
                            if m.group(2) in repo.branches
                            else None
                        )
                        files = repo.branches.setdefault(m.group(2), {})
                        record: dict[str, Any] = {
                            "repo": m.group(1),
                            "branch": m.group(2),
                            "added": [],
                            "deleted": [],
                        }
                        for line in body.decode().splitlines():
                            item = json.loads(line)
                            value = item["value"]
                            if item["key"] == "header":
                                record["summary"] = value.get("summary")
                            elif item["key"] == "file":
                                files[value["path"]] = base64.b64decode(value["content"])
                                record["added"].append(value["path"])
                            elif item["key"] == "lfsFile":
                                files[value["path"]] = hub.lfs[value["oid"]]
                                record["added"].append(value["path"])
                            elif item["key"] == "deletedFile":
                                files.pop(value["path"], None)
                                record["deleted"].append(value["path"])
                        hub.commits.append(record)
                        snap = hub.snapshot(m.group(1), files, parent, record.get("summary") or "")
                        repo.heads[m.group(2)] = oid = snap.oid
                    self._json(
                        200,
                        {
                            "commitUrl": f"{hub.url}/datasets/{m.group(1)}/commit/{oid}",
                            "commitOid": oid,
                            "success": True,
                        },
                    )
                    return
                self._json(404, {"error": f"no route {path}"})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> HubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def snapshot(
        self, name: str, files: dict[str, bytes], parent: Snapshot | None, title: str
    ) -> Snapshot:
        """Record ``files`` (copied) as a new commit of ``name`` on top of ``parent``."""
        with self.lock:
            seq = len(self.snapshots)
            tree = _tree_oid({p: _entry(p, d)["oid"] for p, d in files.items()})
            base = parent.oid if parent else ""
            oid = hashlib.sha1(f"{name}\0{seq}\0{base}\0{title}\0{tree}".encode()).hexdigest()
            old = parent.files if parent else {}
            last = {p: parent.last[p] for p in files if parent and p in parent.last}
            last.update({p: oid for p, data in files.items() if old.get(p) != data})
            snap = Snapshot(name, oid, seq, title, _now(), dict(files), last)
            self.snapshots[oid] = snap
            return snap

    def head(self, name: str, branch: str = "main") -> str:
        """The commit id at the tip of ``branch``; direct edits to ``repos`` become a commit."""
        with self.lock:
            repo = self.repos[name]
            files = repo.branches[branch]
            tip = self.snapshots.get(repo.heads.get(branch, ""))
            if tip is None or tip.files != files:
                title = "initial commit" if tip is None else "direct edit"
                tip = self.snapshot(name, files, tip, title)
                repo.heads[branch] = tip.oid
            return tip.oid

    def resolve(self, name: str, revision: str | None) -> Snapshot:
        """The commit a branch name or commit id names (``None`` is main), else HubError."""
        with self.lock:
            repo = self.repos.get(name)
            if repo is None:
                raise HubError("RepoNotFound", f"Repository {name} not found")
            rev = revision or "main"
            if rev in repo.branches:
                return self.snapshots[self.head(name, rev)]
            snap = self.snapshots.get(rev)
            if snap is None or snap.repo != name:
                raise HubError("RevisionNotFound", f"Invalid rev id: {rev}")
            return snap

    def kind(self, snap: Snapshot, path: str) -> str | None:
        """``"file"``, ``"directory"`` or None for a path in ``snap``."""
        if path in snap.files:
            return "file"
        if path and any(p.startswith(f"{path}/") for p in snap.files):
            return "directory"
        return None

    def listing(self, snap: Snapshot, directory: str, recursive: bool) -> list[str] | None:
        """Folders then files below ``directory`` ('' is the root); None if it is no folder."""
        if directory and self.kind(snap, directory) != "directory":
            return None
        prefix = f"{directory}/" if directory else ""
        dirs: set[str] = set()
        files: list[str] = []
        for path in sorted(p for p in snap.files if p.startswith(prefix)):
            parts = path[len(prefix) :].split("/")
            if recursive or len(parts) == 1:
                files.append(path)
            for i in range(1, len(parts) if recursive else min(len(parts), 2)):
                dirs.add(prefix + "/".join(parts[:i]))
        return sorted(dirs) + files

    def entry(self, snap: Snapshot, path: str, expand: bool = False) -> dict[str, Any]:
        """The tree / paths-info entry of a file or folder, with ``lastCommit`` if ``expand``."""
        if path in snap.files:
            out = _entry(path, snap.files[path])
            commits = [snap.last.get(path, snap.oid)]
        else:
            below = {p: d for p, d in snap.files.items() if p.startswith(f"{path}/")}
            oid = _tree_oid({p: _entry(p, d)["oid"] for p, d in below.items()})
            out = {"type": "directory", "oid": oid, "size": 0, "path": path}
            commits = [snap.last.get(p, snap.oid) for p in below]
        if expand:
            last = max((self.snapshots[c] for c in commits), key=lambda s: s.seq)
            out["lastCommit"] = {"id": last.oid, "title": last.title, "date": last.date}
        return out

    def info(self, name: str, snap: Snapshot, blobs: bool = False) -> dict[str, Any]:
        """The dataset info ``/api/datasets/{repo}[/revision/{rev}]`` returns."""
        siblings = []
        for path, data in sorted(snap.files.items()):
            sibling: dict[str, Any] = {"rfilename": path}
            if blobs:
                entry = _entry(path, data)
                sibling.update(size=len(data), blobId=entry["oid"])
                if "lfs" in entry:
                    lfs = entry["lfs"]
                    sibling["lfs"] = {
                        "size": lfs["size"],
                        "sha256": lfs["oid"],
                        "pointerSize": lfs["pointerSize"],
                    }
            siblings.append(sibling)
        repo = self.repos[name]
        return {
            "_id": hashlib.sha1(name.encode()).hexdigest()[:24],
            "id": name,
            "author": name.split("/")[0],
            "sha": snap.oid,
            "private": repo.private,
            "gated": False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": [],
            "createdAt": repo.created,
            "lastModified": snap.date,
            "siblings": siblings,
            "usedStorage": sum(len(d) for d in snap.files.values()),
        }


def _entry(path: str, data: bytes) -> dict[str, Any]:
    blob = hashlib.sha1(f"blob {len(data)}\0".encode() + data).hexdigest()
    entry: dict[str, Any] = {"type": "file", "path": path, "size": len(data), "oid": blob}
    if path.endswith(".parquet"):
        entry["lfs"] = {
            "oid": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "pointerSize": 134,
        }
    return entry


def _tree_oid(blobs: dict[str, str]) -> str:
    """A stable id for a set of (path, blob id) pairs, standing in for a git tree id."""
    return hashlib.sha1(json.dumps(sorted(blobs.items())).encode()).hexdigest()


def _flag(query: dict[str, list[str]], name: str) -> bool:
    """Whether a query flag (``?recursive=true``, ``?expand=1``) is set."""
    return (query.get(name) or ["false"])[-1].lower() in ("true", "1")


def _paths_request(content_type: str, body: bytes) -> tuple[list[str], bool]:
    """The paths and ``expand`` of a paths-info request, sent as a form or as JSON."""
    if "json" in content_type:
        req = json.loads(body or b"{}")
        paths = req.get("paths") or []
        return ([paths] if isinstance(paths, str) else list(paths)), bool(req.get("expand"))
    form = parse_qs(body.decode(), keep_blank_values=True)
    return form.get("paths", []), _flag(form, "expand")
