"""Render a dataset directory's README.md (Hub dataset card) from its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdata.core.atomic import write_text_atomic
from mkdata.core.manifest import read_manifest
from mkdata.core.shards import DATA_DIR

CARD = "README.md"

SOURCE_TEXT = {
    "webfaq": (
        "FAQ pairs extracted from schema.org `FAQPage` markup in the "
        "[Web Data Commons](https://webdatacommons.org/structureddata/) class-specific "
        "N-Quads subsets (themselves extracted from Common Crawl), following the WebFAQ recipe "
        "(Dinzinger et al., 2025). The text belongs to the websites it was published on; "
        "use is subject to the [Common Crawl terms of use](https://commoncrawl.org/terms-of-use)."
    ),
    "mfaq": (
        "FAQ pairs extracted from schema.org `FAQPage` markup (JSON-LD, microdata and RDFa) "
        "in [Common Crawl](https://commoncrawl.org/) WARC files, following the MFAQ recipe "
        "(De Bruyn et al., 2021). The text belongs to the websites it was published on; "
        "use is subject to the [Common Crawl terms of use](https://commoncrawl.org/terms-of-use)."
    ),
}
COLUMNS = {
    "qa-pair": [
        ("id", "stable hash of language and normalized question and answer"),
        ("origin", "`scheme://host` of the page"),
        ("url", "page URL"),
        ("language", "ISO 639-3 code (fastText lid.176 on question + answer)"),
        ("language_score", "fastText probability of that language"),
        ("question`, `answer", "plain text (HTML rendered, entities decoded, NFC)"),
        ("source", "where the pair came from, e.g. `wdc:2024-12`, `cc:CC-MAIN-2024-42`"),
    ],
    "bitext": [
        ("src_id`, `tgt_id", "ids of the two rows in the input dataset"),
        ("src_lang`, `tgt_lang", "ISO 639-3 codes of the two sides"),
        (
            "src_text`, `tgt_text",
            "the texts that were aligned (question and answer joined by a newline for QA rows)",
        ),
        (
            "score",
            "margin score (see `parameters.margin` in `mkdata.json`); higher is more confident",
        ),
        ("origin", "`scheme://host` both sides come from (only when mined with `--scope origin`)"),
    ],
    "beir": [
        ("_id`, `title`, `text", "`<lang>-corpus`: the distinct answers"),
        ("_id`, `text", "`<lang>-queries`: the distinct questions"),
        (
            "query-id`, `corpus-id`, `score",
            "`<lang>-qrels` (train / test): relevant answers; no site is in both splits",
        ),
    ],
    "synthetic-query": [
        ("id", "stable hash of passage id, query language and query"),
        ("query`, `query_language", "the generated query and its ISO 639-3 language"),
        ("passage_id`, `passage`, `title`, `passage_language", "the passage it was generated for"),
        ("summary", "the summary the model wrote before the query (SAP)"),
        ("model`, `prompt_mode", "the LLM and `cross-lingual` or `monolingual`"),
    ],
    "swim-ir": [
        ("_id", "stable hash of passage id, query language and query"),
        ("lang`, `code", "query language (ISO 639-3, ISO 639-1)"),
        ("query", "the generated query"),
        ("title`, `text", "the passage"),
    ],
    "passage": [
        ("id`, `doc_id", "passage id (`<doc_id>-<n>`) and its document"),
        ("title`, `text", "document title and the ~N-word passage"),
        ("language", "as given in the input"),
    ],
    "faq-page": [
        ("id", "stable hash of language and page URL"),
        ("language", "ISO 639-3 code shared by the page's pairs in this config"),
        ("num_pairs", "number of pairs in `qa_pairs`"),
        ("domain", "host name of the page"),
        ("url", "page URL"),
        ("source", "where the page came from, e.g. `cc:CC-MAIN-2024-42`"),
        ("qa_pairs", "list of `{question, answer, language}`, plain text (HTML rendered, NFC)"),
    ],
}
TASKS = {
    "qa-pair": ["question-answering", "sentence-similarity", "text-retrieval"],
    "bitext": ["translation", "sentence-similarity"],
    "negatives": ["sentence-similarity", "text-retrieval"],
    "beir": ["text-retrieval"],
    "synthetic-query": ["text-retrieval", "sentence-similarity"],
    "swim-ir": ["text-retrieval"],
    "passage": ["text-retrieval"],
}
TAGS = {
    "qa-pair": ["faq", "retrieval", "mkdata"],
    "bitext": ["bitext", "parallel-corpus", "mkdata"],
    "negatives": ["hard-negatives", "retrieval", "mkdata"],
    "beir": ["beir", "mteb", "retrieval", "mkdata"],
    "synthetic-query": ["synthetic", "sap", "retrieval", "mkdata"],
    "swim-ir": ["synthetic", "swim-ir", "retrieval", "mkdata"],
    "passage": ["retrieval", "mkdata"],
}
FILTER_TEXT = {
    "qa-pair": "Rows removed per language by each rule (`input` counts every pair read).",
    "bitext": (
        "Pairs removed per language pair by each rule (`input` counts the candidates the "
        "selection strategy proposed, before the score threshold)."
    ),
}
SOURCE_TEXT["sap"] = (
    "Synthetic queries generated with summarize-then-ask prompting (SAP, as in SWIM-IR, "
    "Thakur et al., 2024): for each passage the LLM first writes a summary, then a query. "
    "Generated text: check the model's license and terms."
)
CITATIONS = {
    "webfaq": """@misc{dinzinger2025webfaq,
  title  = {WebFAQ: A Multilingual Collection of Natural Q&A Datasets for Dense Retrieval},
  author = {Dinzinger, Michael and Caspari, Laura and Dastidar, Kanishka Ghosh and Mitrovi{\\'c}, Jelena and Granitzer, Michael},
  year   = {2025},
  eprint = {2502.20936},
  archivePrefix = {arXiv}
}
@inproceedings{brinkmann2023wdc,
  title     = {The Web Data Commons Schema.org Data Set Series},
  author    = {Brinkmann, Alexander and Primpeli, Anna and Bizer, Christian},
  booktitle = {Companion Proceedings of the ACM Web Conference 2023},
  year      = {2023}
}""",
    "mfaq": """@inproceedings{debruyn2021mfaq,
  title     = {{MFAQ}: a Multilingual {FAQ} Dataset},
  author    = {De Bruyn, Maxime and Lotfi, Ehsan and Buhmann, Jeska and Daelemans, Walter},
  booktitle = {Proceedings of the 3rd Workshop on Machine Reading for Question Answering},
  year      = {2021}
}""",
}


def size_category(n: int) -> str:
    """Return the Hub size category for ``n`` rows (``1K<n<10K`` ...)."""
    bounds = [
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
        (10_000_000, "1M<n<10M"),
        (100_000_000, "10M<n<100M"),
        (1_000_000_000, "100M<n<1B"),
    ]
    for bound, name in bounds:
        if n < bound:
            return name
    return "n>1B"


def _yaml_header(m: dict[str, Any], configs: dict[str, dict[str, int]], total: int) -> list[str]:
    lines = ["---"]
    langs = sorted({c for name in configs for c in name.split("-") if name != "default"})
    if langs:
        lines.append("language:")
        lines += [f"- {lang}" for lang in langs]
    if len(langs) > 1:
        lines.append("multilinguality: multilingual")
    lines += [
        "license: other",
        "license_name: common-crawl-terms-of-use",
        "license_link: https://commoncrawl.org/terms-of-use",
        "size_categories:",
        f"- {size_category(total)}",
        "task_categories:",
        *[f"- {t}" for t in TASKS.get(m.get("record", ""), TASKS["qa-pair"])],
        "tags:",
        *[f"- {t}" for t in TAGS.get(m.get("record", ""), TAGS["qa-pair"])],
        f"pretty_name: mkdata {m.get('builder', 'dataset')}",
        "configs:",
    ]
    ext = m.get("file_extension", "parquet")
    for name, splits in configs.items():
        listed = [split for split, rows in splits.items() if rows]  # never an empty split
        if not listed:
            continue
        lines.append(f"- config_name: {name}")
        lines.append("  data_files:")
        for split in listed:
            lines.append(f"  - split: {split}")
            lines.append(f"    path: {DATA_DIR}/{name}/{split}-*.{ext}")
    lines.append("---")
    return lines


def render_card(m: dict[str, Any], repo_id: str | None = None) -> str:
    """Return the dataset card (YAML header + Markdown) for manifest ``m``."""
    configs: dict[str, dict[str, int]] = m.get("configs", {})
    total = sum(sum(s.values()) for s in configs.values())
    builder = m.get("builder", "")
    lines = _yaml_header(m, configs, total)
    first = next(iter(configs), "default")
    where = repo_id or "path/to/this/directory"
    lines += [
        "",
        f"# mkdata {builder} dataset",
        "",
        SOURCE_TEXT.get(builder, "Built with mkdata."),
        "",
        f"{total:,} rows in {len(configs)} configs.",
        "",
        "## How to load",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        f'ds = load_dataset("{where}", "{first}", split="train")',
        "```",
        "",
        "## Columns",
        "",
        "| column | meaning |",
        "|---|---|",
    ]
    described = m.get("columns") or COLUMNS[m.get("record", "qa-pair")]
    lines += [f"| `{name}` | {meaning} |" for name, meaning in described]
    lines += [
        "",
        "## Rows per config",
        "",
        "| config | rows |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {sum(s.values()):,} |" for name, s in configs.items()]
    filt = m.get("filters", {})
    rules = sorted({r for c in filt.values() for r in c} - {"input", "kept", "passed"})
    if filt:
        lines += [
            "",
            "## Filters applied",
            "",
            FILTER_TEXT.get(m.get("record", "qa-pair"), FILTER_TEXT["qa-pair"]),
            "",
            "| language | input | " + " | ".join(rules) + " | kept |",
            "|---|" + "---:|" * (len(rules) + 2),
        ]
        for lang, c in filt.items():
            cells = [str(c.get("input", 0))] + [str(c.get(r, 0)) for r in rules]
            lines.append(f"| {lang} | " + " | ".join(cells) + f" | {c.get('kept', 0)} |")
        params = m.get("parameters", {}).get("filters", {})
        if params:
            lines += ["", "Thresholds: " + ", ".join(f"`{k}={v}`" for k, v in params.items()) + "."]
    lines += _negatives_section(m)
    lines += [
        "",
        "## How it was built",
        "",
        f"`mkdata {m.get('command', '')}` (mkdata {m.get('tool', {}).get('version', '?')}), "
        f"from {len(m.get('inputs', []))} input file(s); full parameters, inputs with checksums "
        "and per-filter counts are in `mkdata.json`.",
    ]
    if builder in CITATIONS:
        lines += ["", "## Citation", "", "```bibtex", CITATIONS[builder], "```"]
    return "\n".join(lines) + "\n"


def _negatives_section(m: dict[str, Any]) -> list[str]:
    counts = m.get("negatives", {}).get("counts")
    if not counts:
        return []
    p = m.get("parameters", {})
    keys = [
        "pairs",
        "complete",
        "incomplete",
        "positive",
        "query_text",
        "near_copy",
        "margin",
        "max_score",
    ]
    lines = [
        "",
        "## How the negatives were mined",
        "",
        f"Method `{p.get('method')}` (encoder `{p.get('encoder')}`"
        + (f", cross-encoder `{p['cross_encoder']}`" if p.get("cross_encoder") else "")
        + f"), {p.get('num_negatives')} negatives per pair from candidate ranks "
        f"{p.get('range_min')}-{p.get('range_max')}, sampling `{p.get('sampling')}` (seed {p.get('seed')}); "
        f"relative margin {p.get('relative_margin')}, absolute margin {p.get('absolute_margin')}, "
        f"max score {p.get('max_score')}. Candidates dropped: the query's positives, the query "
        "itself, near-copies of a positive, and those within the margin of the lowest positive. "
        "Pairs that could not get every negative are not in the data; they are listed in "
        "`rejects/<config>.jsonl`.",
        "",
        "| config | " + " | ".join(keys) + " |",
        "|---|" + "---:|" * len(keys),
    ]
    lines += [
        f"| {c} | " + " | ".join(str(v.get(k, 0)) for k in keys) + " |" for c, v in counts.items()
    ]
    return lines


def write_card(out: str | Path, repo_id: str | None = None) -> Path:
    """(Re)write ``out/README.md`` from ``out/mkdata.json``; return its path."""
    out = Path(out)
    path = out / CARD
    write_text_atomic(path, render_card(read_manifest(out), repo_id))
    return path
