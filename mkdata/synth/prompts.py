"""SAP prompts: the shipped prompt and exemplars (``synth/data/``) or a user folder with the
same file names, turned into chat messages."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from mkdata.core.lang import language_name
from mkdata.core.prompt_safety import as_data

FILES = ("prompt.json", "exemplars_cross_lingual.json", "exemplars_monolingual.json")
SCHEMA = {
    "type": "object",
    "properties": {"summary": {"type": "string"}, "query": {"type": "string"}},
    "required": ["summary", "query"],
}


@dataclass
class PromptSet:
    """The prompt template and both kinds of exemplars."""

    prompt: dict[str, str]
    cross_lingual: list[dict[str, Any]]
    monolingual: dict[str, list[dict[str, str]]]
    source: str

    def exemplars(self, mode: str, lang: str) -> list[tuple[str, str, str]]:
        """(passage, summary, query) exemplars for queries in ``lang``."""
        if mode == "monolingual" and self.monolingual.get(lang):
            return [(e["passage"], e["summary"], e["query"]) for e in self.monolingual[lang]]
        # cross-lingual, or monolingual without in-language exemplars: English passages
        return [
            (e["passage"], e["summary"], e["queries"][lang])
            for e in self.cross_lingual
            if lang in e["queries"]
        ] or [(e["passage"], e["summary"], e["queries"]["eng"]) for e in self.cross_lingual]

    def messages(self, mode: str, lang: str, passage: str) -> tuple[tuple[str, str], ...]:
        """The chat messages asking for the summary and a ``lang`` query of ``passage``."""
        name = language_name(lang)
        shots = "\n\n".join(
            self.prompt["exemplar"].format(passage=as_data(p), summary=s, query=q, language=name)
            for p, s, q in self.exemplars(mode, lang)
        )
        task = self.prompt["task"].format(passage=as_data(passage), language=name)
        return (("system", self.prompt["system"]), ("user", f"{shots}\n\n{task}"))


def load_prompts(folder: Path | None = None) -> PromptSet:
    """The shipped prompts, or those in ``folder`` (any of FILES there overrides the shipped one).

    ValueError (naming the file) when a file is not valid JSON of the expected shape.
    """
    data: dict[str, Any] = {}
    for name in FILES:
        path = Path(folder) / name if folder else None
        try:
            if path is not None and path.exists():
                data[name] = json.loads(path.read_text("utf-8"))
            else:
                text = resources.files("mkdata.synth").joinpath(f"data/{name}").read_text("utf-8")
                data[name] = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path or name}: not valid JSON ({exc})") from None
    prompt = data["prompt.json"]
    for key in ("system", "exemplar", "task"):
        if not isinstance(prompt.get(key), str):
            raise ValueError(f"prompt.json: needs a string {key!r}")
    return PromptSet(
        prompt, data["exemplars_cross_lingual.json"], data["exemplars_monolingual.json"],
        str(folder) if folder else "mkdata (shipped)",
    )  # fmt: skip
