"""A dataset directory's card (``README.md``, Hub dataset card) and its charts, from its
manifest and its data: one card per record type (its own title, description, columns,
Hub tasks and citations), metadata the Hub accepts, a working "How to load" snippet per
config family, statistics, and charts under ``images/`` linked relatively."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdata.cards.chart_process import ChartProcess
from mkdata.cards.hub_values import MULTILINGUALITY, SIZE_CATEGORIES, check_tasks
from mkdata.cards.kinds import CITATIONS, Kind, kind_of
from mkdata.cards.plots import CHARTS, IMAGES, write_charts
from mkdata.cards.stats import config_languages, dataset_stats
from mkdata.cards.stats_records import DatasetStats
from mkdata.core.atomic import read_json, write_text_atomic
from mkdata.core.errors import OutputRefused
from mkdata.core.manifest import MANIFEST, read_manifest, write_manifest
from mkdata.core.output import CARD
from mkdata.core.shards import DATA_DIR

if TYPE_CHECKING:
    from mkdata.core.output import OutputRun

CARD_SAMPLE_ROWS = 20_000  # rows per split checked for duplicates in the card's statistics
CARD_MAX_ROWS = 200_000  # rows per split read for the card's lengths, languages and charts

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
        (
            "title`, `description",
            "the page's title and description (schema.org WebPage `name` / Article `headline`, "
            'WebSite as fallback; HTML `<title>`, meta or og description), "" when it has none',
        ),
        ("page_language", "the language the page declares (`inLanguage`, `<html lang>`), as given"),
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
        ("title`, `description`, `page_language", "the page's context, as in the QA-pair layout"),
        ("qa_pairs", "list of `{question, answer, language}`, plain text (HTML rendered, NFC)"),
    ],
}
FILTER_TEXT = {
    "qa-pair": "Rows removed per language by each rule (`input` counts every pair read).",
    "bitext": (
        "Pairs removed per language pair by each rule (`input` counts the candidates the "
        "selection strategy proposed, before the score threshold)."
    ),
    "dedup": "Rows removed per config by each method (`input` counts every row read).",
}
LICENSES = {  # builder -> (license, name, link) the rows inherit
    "webfaq": ("other", "common-crawl-terms-of-use", "https://commoncrawl.org/terms-of-use"),
    "mfaq": ("other", "common-crawl-terms-of-use", "https://commoncrawl.org/terms-of-use"),
}


def size_category(n: int) -> str:
    """Return the Hub size category for ``n`` rows (``1K<n<10K`` ...)."""
    bounds = [
        (1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"),
        (1_000_000_000, "100M<n<1B"), (10_000_000_000, "1B<n<10B"),
    ]  # fmt: skip
    for bound, name in bounds:
        if n < bound:
            return name
    return "10B<n<100B"


def pretty_name(m: dict[str, Any], out: Path | None) -> str:
    """The card's title: ``--name`` when given, else the output's name and what it holds."""
    if m.get("name"):
        return str(m["name"])
    kind = kind_of(m)
    source = m.get("builder") or ""
    what = kind.title if not source or source in kind.title else f"{source} {kind.title}"
    return f"{out.name}: {what}" if out is not None else what


def card_languages(m: dict[str, Any], stats: DatasetStats | None) -> list[str]:
    """Real ISO 639-3 codes of the rows: from config names, else the language column."""
    langs = {lang for config in m.get("configs", {}) for lang in config_languages(config)}
    if not langs and stats is not None:
        from mkdata.core.lang import known_languages

        known = known_languages()
        langs = {x for s in stats.splits for x in s.languages if x in known}
    return sorted(langs)


def data_configs(m: dict[str, Any], kind: Kind) -> list[tuple[str, list[str], bool]]:
    """(config name, non-empty splits, default?) for the card's ``configs``; an ``all``
    config (the default) joins every config when they share one schema."""
    configs = [
        (name, [s for s, rows in splits.items() if rows])
        for name, splits in (m.get("configs") or {}).items()
    ]
    configs = [(n, s) for n, s in configs if s]
    out = [(n, s, len(configs) == 1) for n, s in configs]
    if kind.one_schema and len(configs) > 1 and "all" not in dict(configs):
        splits = sorted({x for _, s in configs for x in s})
        out.insert(0, ("all", splits, True))
    return out


def _yaml_header(
    m: dict[str, Any], kind: Kind, langs: list[str], total: int, title: str
) -> list[str]:
    lines = ["---"]
    if langs:
        lines += ["language:", *[f"- {lang}" for lang in langs]]
        multi = (
            "translation"
            if kind.key == "bitext"
            else "multilingual"
            if len(langs) > 1
            else "monolingual"
        )
        assert multi in MULTILINGUALITY
        lines.append(f"multilinguality: {multi}")
    license_id, license_name, link = LICENSES.get(m.get("builder", ""), ("unknown", "", ""))
    lines.append(f"license: {license_id}")
    if license_name:
        lines += [f"license_name: {license_name}", f"license_link: {link}"]
    size = size_category(total)
    assert size in SIZE_CATEGORIES
    check_tasks(list(kind.task_categories), list(kind.task_ids))
    lines += ["size_categories:", f"- {size}", "task_categories:"]
    lines += [f"- {t}" for t in kind.task_categories]
    if kind.task_ids:
        lines += ["task_ids:", *[f"- {t}" for t in kind.task_ids]]
    lines += ["tags:", *[f"- {t}" for t in kind.tags]]
    lines.append(f"pretty_name: {_yaml_str(title)}")
    configs = data_configs(m, kind)
    if configs:
        lines.append("configs:")
    ext = m.get("file_extension", "parquet")
    for name, splits, default in configs:
        lines.append(f"- config_name: {name}")
        if default and name == "all":
            lines.append("  default: true")
        lines.append("  data_files:")
        for split in splits:
            where = "*" if name == "all" else name
            lines += [f"  - split: {split}", f"    path: {DATA_DIR}/{where}/{split}-*.{ext}"]
    lines.append("---")
    return lines


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def load_snippet(m: dict[str, Any], kind: Kind, where: str) -> list[str]:
    """Python that loads each config family of this output (run as is by the tests)."""
    configs = data_configs(m, kind)
    if not configs:
        return ["This output holds no rows (see `mkdata.json` for what was read and why it "
                "was filtered), so there is nothing to load."]  # fmt: skip
    lines = ["```python", "from datasets import load_dataset", ""]
    if kind.key == "beir":
        langs = sorted({n.rsplit("-", 1)[0] for n, _, _ in configs})
        lang = langs[0] if langs else "deu"
        splits = dict((n, s) for n, s, _ in configs)
        qrels_split = "test" if "test" in splits.get(f"{lang}-qrels", []) else "train"
        lines += [
            f'corpus = load_dataset("{where}", "{lang}-corpus", split="corpus")',
            f'queries = load_dataset("{where}", "{lang}-queries", split="queries")',
            f'qrels = load_dataset("{where}", "{lang}-qrels", split="{qrels_split}")',
        ]
    else:
        named = [(n, s) for n, s, _ in configs if n != "all"]
        if named:
            name, splits = named[0]
            lines.append(f'ds = load_dataset("{where}", "{name}", split="{splits[0]}")')
        if any(n == "all" for n, _, _ in configs) or len(named) == 1:
            split = named[0][1][0] if named else "train"
            lines.append(f'everything = load_dataset("{where}", split="{split}")  # default config')
    lines.append("```")
    return lines


def _upstream(m: dict[str, Any]) -> list[str]:
    lines = []
    for item in m.get("inputs", []):
        source = item.get("source") or item.get("path") or item.get("url")
        if not source:
            continue
        up = read_json(Path(source) / MANIFEST) if Path(str(source)).is_dir() else None
        if isinstance(up, dict):
            name = pretty_name(up, Path(str(source)))
            lines.append(
                f"- `{Path(str(source)).name}` — {name} (`mkdata {up.get('command', '?')}`)"
            )
        else:
            lines.append(
                f"- `{source}`"
                + (f" (`mkdata {item['manifest']}`)" if item.get("manifest") else "")
            )
    if len(lines) > 20:
        lines = [*lines[:20], f"- … and {len(lines) - 20} more (see `mkdata.json`)"]
    return lines


def _stats_table(stats: DatasetStats) -> list[str]:
    columns = list(dict.fromkeys(c for s in stats.splits for c in s.lengths))[:4]
    head = ["config", "split", "rows", *(f"`{c}` chars p50 (p95)" for c in columns)]
    lines = [_row([*head, "exact duplicates"]), "|---|---|" + "---:|" * (len(columns) + 2)]
    for s in stats.splits[:100]:
        cells = [
            f"{s.lengths[c]['chars_p50']:.0f} ({s.lengths[c]['chars_p95']:.0f})"
            if s.lengths.get(c) else ""
            for c in columns
        ]  # fmt: skip
        dup = f"{s.duplicates:.1%} of {s.duplicates_checked:,}" if s.duplicates_checked else ""
        lines.append(_row([s.config, s.split, f"{s.rows:,}", *cells, dup]))
    return lines


def _row(cells: list[str]) -> str:
    """One Markdown table row of ``cells``."""
    return "| " + " | ".join(cells) + " |"


def render_card(
    m: dict[str, Any],
    repo_id: str | None = None,
    out: Path | None = None,
    stats: DatasetStats | None = None,
    images: list[tuple[str, str]] | None = None,
) -> str:
    """The dataset card (YAML header + Markdown) for manifest ``m`` of output ``out``, with
    its statistics and the charts ``images`` ((title, file name) under ``images/``)."""
    kind = kind_of(m)
    configs: dict[str, dict[str, int]] = m.get("configs", {})
    total = sum(sum(s.values()) for s in configs.values())
    title = pretty_name(m, out)
    langs = card_languages(m, stats)
    lines = _yaml_header(m, kind, langs, total, title)
    where = repo_id or (str(Path(out).resolve()) if out is not None else "path/to/this/directory")
    source_text = SOURCE_TEXT.get(m.get("builder", ""), "")
    lines += ["", f"# {title}", "", kind.description]
    if source_text:
        lines += ["", source_text]
    lines += [
        "",
        f"{total:,} rows in {len(configs)} configs"
        + (f", {len(langs)} languages." if langs else "."),
    ]
    upstream = _upstream(m)
    if upstream:
        lines += ["", "## Made from", "", *upstream]
    lines += ["", "## How to load", "", *load_snippet(m, kind, where)]
    lines += ["", "## Columns", "", "| column | meaning |", "|---|---|"]
    described = m.get("columns") or COLUMNS.get(m.get("record", "qa-pair"), COLUMNS["qa-pair"])
    described = [*described, *m.get("added_columns", [])]
    lines += [f"| `{name}` | {meaning} |" for name, meaning in described]
    if stats is not None and stats.splits:
        lines += ["", "## Statistics", "", *_stats_table(stats)]
    else:
        lines += ["", "## Rows per config", "", "| config | rows |", "|---|---:|"]
        lines += [f"| {name} | {sum(s.values()):,} |" for name, s in configs.items()]
    if images:
        lines += ["", "## Charts", ""]
        lines += [f"![{t}]({IMAGES}/{name})" for t, name in images]
    lines += _filters_section(m, kind)
    lines += _negatives_section(m)
    lines += _labels_section(m)
    lines += [
        "",
        "## How it was built",
        "",
        f"`mkdata {m.get('command', '')}` (mkdata {m.get('tool', {}).get('version', '?')}), "
        f"from {len(m.get('inputs', []))} input(s); full parameters, inputs with checksums "
        "and per-rule counts are in `mkdata.json`.",
    ]
    cites = [CITATIONS[k] for k in (m.get("builder", ""), *kind.citations) if k in CITATIONS]
    if cites:
        lines += ["", "## Citation", "", "```bibtex", "\n".join(cites), "```"]
    return "\n".join(lines) + "\n"


def _filters_section(m: dict[str, Any], kind: Kind) -> list[str]:
    filt = m.get("filters", {})
    if not filt:
        return []
    rules = sorted({r for c in filt.values() for r in c} - {"input", "kept", "passed"})
    text = FILTER_TEXT.get(kind.key, FILTER_TEXT.get(m.get("record", ""), FILTER_TEXT["qa-pair"]))
    lines = [
        "", "## Filters applied", "", text, "",
        _row(["config", "input", *rules, "kept"]),
        "|---|" + "---:|" * (len(rules) + 2),
    ]  # fmt: skip
    for lang, c in filt.items():
        cells = [str(c.get("input", 0))] + [str(c.get(r, 0)) for r in rules]
        lines.append(_row([lang, *cells, str(c.get("kept", 0))]))
    params = m.get("parameters", {}).get("filters", {})
    if isinstance(params, dict) and params:
        lines += ["", "Thresholds: " + ", ".join(f"`{k}={v}`" for k, v in params.items()) + "."]
    return lines


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
    if p.get("candidates"):
        teacher = p.get("cross_encoder") or p.get("encoder")
        lines = [
            "",
            "## How the candidates were mined (distillation)",
            "",
            f"For each query, the first-stage top {p['candidates']} documents (method "
            f"`{p.get('method')}`) that are not positives, unfiltered, each scored by the "
            f"teacher `{teacher}`; `scores` holds the positive's score, then each candidate's "
            "(best first), as MarginMSELoss and DistillKLDivLoss read them. The same scores are "
            "in `runs/<config>.trec` (TREC run). Queries with fewer candidates are listed in "
            "`rejects/<config>.jsonl`.",
            "",
            "| config | pairs | complete | incomplete |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| {c} | {v.get('pairs', 0)} | {v.get('complete', 0)} | {v.get('incomplete', 0)} |"
            for c, v in counts.items()
        ]
        return lines
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
        _row(["config", *keys]),
        "|---|" + "---:|" * len(keys),
    ]
    lines += [_row([c, *(str(v.get(k, 0)) for k in keys)]) for c, v in counts.items()]
    return lines


def _labels_section(m: dict[str, Any]) -> list[str]:
    info = m.get("label")
    if not info:
        return []
    names = [x["name"] for x in info["labels"]]
    col = info["column"]
    lines = [
        "", f"## Labels (`{col}`)", "",
        f"Each row's `{col}` is one of: " + ", ".join(f"`{n}`" for n in names) + f". They "
        f"come from `{m.get('parameters', {}).get('model')}` (an LLM answering with one label "
        "of the set, few-shot)"
        + (", and for the rows it did not label from a classifier trained on its labels"
           if info.get("classifier") else "")
        + f"; `{col}_source` says which. Rows without a label failed and are counted in "
        "`mkdata.json`.",
        "",
        _row(["language", "rows", "llm", "classifier", "failed", *names]),
        "|---|" + "---:|" * (len(names) + 4),
    ]  # fmt: skip
    for lang, c in info["per_language"].items():
        cells = [c["rows"], c["llm"], c["classifier"], c["failed"], *c["labels"].values()]
        lines.append(_row([lang, *(f"{v:,}" for v in cells)]))
    report = info.get("classifier")
    if report and report.get("overall") is not None:
        lines += [
            "", f"Classifier: {report['model']} on `{report['encoder']}` embeddings, trained "
            f"on {report['trained_on']:,} LLM-labelled rows; agreement with the LLM on "
            f"{report['held_out']:,} held-out rows: {report['overall']:.1%} overall.", "",
            "| language | held-out rows | agreement |", "|---|---:|---:|",
        ]  # fmt: skip
        lines += [
            f"| {lang} | {r['held_out']:,} | {r['agreement']:.1%} |"
            for lang, r in report["per_language"].items()
        ]
    return lines


def existing_images(out: Path) -> list[tuple[str, str]]:
    """(title, file name) of the charts mkdata drew under ``out/images/``, in card order
    (none when that folder is not mkdata's)."""
    from mkdata.core.output import read_marker

    marker = read_marker(Path(out)) or {}
    if IMAGES not in marker.get("parts", []):
        return []
    folder = Path(out) / IMAGES
    return [
        (title, name)
        for name, title, _ in CHARTS
        if (folder / name).is_file() and not (folder / name).is_symlink()
    ]


def card_text(
    out: str | Path, repo_id: str | None = None, stats: DatasetStats | None = None
) -> str:
    """The card of the output ``out`` from its manifest and data, linking the charts already
    under ``out/images/``."""
    out = Path(out)
    if stats is None:
        stats = dataset_stats(out, sample_rows=CARD_SAMPLE_ROWS, max_rows=CARD_MAX_ROWS)
    return render_card(read_manifest(out), repo_id, out, stats, existing_images(out))


def write_card(
    out: str | Path, repo_id: str | None = None, stats: DatasetStats | None = None
) -> Path:
    """(Re)write ``out/README.md`` (see :func:`card_text`); return its path."""
    path = Path(out) / CARD
    write_text_atomic(path, card_text(out, repo_id, stats))
    return path


def write_card_of_run(run: OutputRun, plots: bool = True, name: str | None = None) -> Path:
    """The card of a published (or refreshed) output: charts drawn into the run's staging
    and published as ``images/``, then ``README.md``. ``name`` sets the card's title."""
    if name is not None:
        m = read_manifest(run.out)
        m["name"] = name
        write_manifest(run.out, m)
    m = read_manifest(run.out)
    staged = run.staging / IMAGES
    helper = run.card_prepared if plots and isinstance(run.card_prepared, ChartProcess) else None
    charts_ready = None
    if helper is not None:
        taken = helper

        def charts_ready(st: DatasetStats) -> None:  # drawn while the duplicates are counted
            run.card_prepared = None  # one job per helper
            taken.send(st, m, staged)

    try:
        stats = dataset_stats(
            run.out, sample_rows=CARD_SAMPLE_ROWS, max_rows=CARD_MAX_ROWS, charts_ready=charts_ready
        )
    except BaseException:
        if helper is not None and run.card_prepared is not helper:  # it has its job
            helper.close()
        raise
    drawn = helper.drawn() if helper is not None else None
    if plots and drawn is None:  # no helper, or it failed: drawn here
        drawn = write_charts(stats, m, staged)
    if drawn:
        # an `images` folder mkdata did not write is left alone: the card then has no charts
        with contextlib.suppress(OutputRefused):
            run.publish_part(IMAGES)
    shutil.rmtree(staged, ignore_errors=True)  # what was not published
    return write_card(run.out, stats=stats)
