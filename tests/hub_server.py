"""A real HTTP server on 127.0.0.1 that answers the Hugging Face Hub endpoints huggingface_hub
uses to push to a dataset repo (create repo, branch, tree listing, preupload, LFS batch and
upload, commit), keeps the repos in memory, and records every commit. Tests only.

Parquet files are LFS (as on the Hub), the rest regular. ``fail_commits`` lists commit
numbers (1-based, counted over the server's life) answered with HTTP 500, to interrupt a
push. Run clients with HF_HUB_DISABLE_XET=1: the Xet transfer protocol is not emulated.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit


@dataclass
class Repo:
    private: bool
    branches: dict[str, dict[str, bytes]] = field(default_factory=lambda: {"main": {}})


class HubServer:
    """The fake Hub; ``url`` is its endpoint, ``repos`` its state, ``commits`` what it got."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.lfs: dict[str, bytes] = {}
        self.commits: list[dict[str, Any]] = []
        self.fail_commits: set[int] = set()
        self.commit_calls = 0
        self.uploads: list[str] = []
        self.auth: list[str | None] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, code: int, obj: Any) -> None:
                body = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_GET(self) -> None:
                hub.auth.append(self.headers.get("Authorization"))
                path = unquote(urlsplit(self.path).path)
                m = re.fullmatch(r"/api/datasets/([^/]+/[^/]+)/tree/([^/]+)(?:/(.*))?", path)
                if m:
                    repo = hub.repos.get(m.group(1))
                    if repo is None or m.group(2) not in repo.branches:
                        self._json(404, {"error": "not found"})
                        return
                    files = repo.branches[m.group(2)]
                    self._json(200, [_entry(p, data) for p, data in sorted(files.items())])
                    return
                self._json(404, {"error": f"no route {path}"})

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
                    repo = hub.repos[m.group(1)]
                    if m.group(2) in repo.branches:
                        self._json(409, {"error": "Reference already exists"})
                        return
                    repo.branches[m.group(2)] = dict(repo.branches["main"])
                    self._json(200, {})
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
                    repo = hub.repos[m.group(1)]
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
                    oid = hashlib.sha1(json.dumps(record).encode()).hexdigest()
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
