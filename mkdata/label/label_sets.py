"""Label sets and few-shot exemplars (shipped in ``label/data/`` or given as files), and the
chat prompt and JSON schema that ask a model for one label of a QA row.

A label file is JSON ``{"column", "what", "labels": [{"name", "description"}],
"exemplars": [...]}`` (only ``labels`` is required) or text with one ``name`` or
``name: description`` per line. An exemplars file is JSON Lines or a JSON list of
``{"question", "answer", "title", "description", "label"}``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from mkdata.core.prompt_safety import as_data

# characters of each field a prompt (and the classifier) sees; whitespace is collapsed first
ITEM_BUDGET = {"question": 500, "answer": 1500, "title": 200, "description": 300}
FIELDS = tuple(ITEM_BUDGET)
TASK_FILES = {"topic": "topic.json", "question-type": "question-type.json"}
_COLUMN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_FIELD = re.compile(r"\{(" + "|".join(FIELDS) + r")\}")


def item_fields(row: dict[str, Any]) -> dict[str, str]:
    """The question, answer, title and description of ``row``, whitespace collapsed and cut
    to ``ITEM_BUDGET`` characters (missing ones empty)."""
    out = {}
    for name, budget in ITEM_BUDGET.items():
        value = row.get(name)
        out[name] = " ".join(str(value).split())[:budget] if value else ""
    return out


def item_text(fields: dict[str, str]) -> str:
    """One text of the fields (question, answer, title, description; empty ones left out),
    the classifier's input."""
    return "\n".join(fields[f] for f in FIELDS if fields[f])


@dataclass(frozen=True)
class LabelSet:
    """The labels of one task, its exemplars and its prompt."""

    column: str
    what: str
    labels: tuple[tuple[str, str], ...]  # (name, description)
    exemplars: tuple[dict[str, str], ...]
    prompt: dict[str, str]
    source: str

    @property
    def output_columns(self) -> tuple[str, str, str]:
        """The columns a run writes: the label, its source and its confidence."""
        return self.column, f"{self.column}_source", f"{self.column}_confidence"

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self.labels]

    def schema(self) -> dict[str, Any]:
        """JSON schema of an answer: one label of the set."""
        return {
            "type": "object",
            "properties": {"label": {"type": "string", "enum": self.names}},
            "required": ["label"],
        }

    def _item(self, fields: dict[str, str]) -> str:
        # one pass over the template: inserted values are data, never read as template
        return _FIELD.sub(lambda m: as_data(fields[m.group(1)], "item") or "-", self.prompt["item"])

    def messages(self, fields: dict[str, str]) -> tuple[tuple[str, str], ...]:
        """Chat messages asking for the label of the row with ``fields``: the instructions,
        each exemplar as a user/assistant turn, then the row."""
        labels = "\n".join(f"- {n}: {d}" if d else f"- {n}" for n, d in self.labels)
        system = self.prompt["system"].replace("{what}", self.what).replace("{labels}", labels)
        out: list[tuple[str, str]] = [("system", system)]
        for e in self.exemplars:
            out.append(("user", self._item(item_fields(e))))
            out.append(("assistant", json.dumps({"label": e["label"]}, ensure_ascii=False)))
        out.append(("user", self._item(fields)))
        return tuple(out)

    def parse(self, text: str) -> str | None:
        """The label an answer gives, or None when it gives no label of the set."""
        text = text.strip()
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text.strip('"')
        if isinstance(value, dict):
            value = value.get("label")
        return value if isinstance(value, str) and value in self.names else None


def _shipped(name: str) -> Any:
    return json.loads(resources.files("mkdata.label").joinpath(f"data/{name}").read_text("utf-8"))


def _read_labels(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the label file ({exc})") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("labels"), list):
            raise ValueError(f'{path}: expected an object with a "labels" list')
        labels = []
        for i, item in enumerate(data["labels"], 1):
            if isinstance(item, str):
                item = {"name": item}
            if not isinstance(item, dict) or not str(item.get("name", "")).strip():
                raise ValueError(f"{path}: label {i} has no name")
            labels.append(
                {"name": _name(item["name"]), "description": str(item.get("description", ""))}
            )
        return {**data, "labels": labels}
    labels = []
    for line in text.splitlines():
        name, _, description = line.partition(":")
        if name.strip():
            labels.append({"name": _name(name), "description": description.strip()})
    return {"labels": labels}


def _name(value: object) -> str:
    """A label name as compared and written: NFC, outer whitespace removed."""
    return unicodedata.normalize("NFC", str(value)).strip()


def _read_exemplars(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the exemplars file ({exc})") from None
    if text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc})") from None
    else:
        rows = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    raise ValueError(f"{path}:{n}: not a JSON object") from None
    return rows


def load_label_set(
    task: str, labels: Path | None = None, exemplars: Path | None = None
) -> LabelSet:
    """The label set of ``task`` (topic, question-type, custom), with ``labels`` and
    ``exemplars`` files overriding the shipped ones. ValueError naming the file when one is
    malformed, a label repeats, or an exemplar's label is not in the set."""
    data: dict[str, Any] = _shipped(TASK_FILES[task]) if task in TASK_FILES else {}
    source = f"mkdata (shipped {task})" if data else ""
    if labels is not None:
        given = _read_labels(Path(labels))
        data = {
            "column": given.get("column") or data.get("column") or "label",
            "what": given.get("what") or data.get("what") or "a question-answer pair from a website's FAQ",
            "labels": given["labels"],
            "exemplars": given.get("exemplars", []),
        }  # fmt: skip
        source = str(labels)
    if exemplars is not None:
        data["exemplars"] = _read_exemplars(Path(exemplars))
        source += f", exemplars {exemplars}"
    where = exemplars or labels or TASK_FILES.get(task, "label set")
    names = [x["name"] for x in data["labels"]]
    if len(names) < 2:
        raise ValueError(f"{labels or where}: needs at least two labels")
    if len(set(names)) != len(names):
        raise ValueError(
            f"{labels}: label {next(n for n in names if names.count(n) > 1)!r} repeats"
        )
    column = data.get("column", "label")
    if not isinstance(column, str) or not _COLUMN.match(column):
        raise ValueError(f"{labels}: column must be a lower-case name like topic, got {column!r}")
    shots = []
    for i, e in enumerate(data.get("exemplars", []), 1):
        if not isinstance(e, dict) or not e.get("question") or _name(e.get("label")) not in names:
            raise ValueError(
                f"{where}: exemplar {i} needs a question and a label of the set ({', '.join(names)})"
            )
        shots.append({**{k: str(e.get(k) or "") for k in FIELDS}, "label": _name(e["label"])})
    return LabelSet(
        column, data.get("what") or "a question-answer pair",
        tuple((x["name"], x["description"]) for x in data["labels"]), tuple(shots),
        _shipped("prompt.json"), source,
    )  # fmt: skip
