"""The card's charts as PNG files (matplotlib, headless Agg): languages, text lengths, the
filter funnel, and per record type duplicate cluster sizes, bitext margin scores with the
threshold, positive vs negative scores, and benchmark split sizes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mkdata.cards.stats_records import DatasetStats

IMAGES = "images"
MAX_BARS = 40


def _figure(width: float = 7.0, height: float = 3.2):
    """A figure on the Agg canvas (no pyplot, no GUI backend, no global state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})


def languages_chart(st: DatasetStats, path: Path) -> bool:
    """Rows per language (bars, largest first); False when there is nothing to draw."""
    rows: dict[str, float] = {}
    for s in st.splits:
        for lang, share in s.languages.items():
            rows[lang] = rows.get(lang, 0) + share * s.rows
    if not rows:
        return False
    items = sorted(rows.items(), key=lambda x: -x[1])[:MAX_BARS]
    fig, ax = _figure(max(4.0, 0.35 * len(items) + 2))
    ax.bar([k for k, _ in items], [v for _, v in items], color="#4C72B0")
    ax.set_ylabel("rows")
    ax.set_title("Rows per language" + (f" (top {MAX_BARS})" if len(rows) > MAX_BARS else ""))
    ax.tick_params(axis="x", rotation=60)
    _save(fig, path)
    return True


def lengths_chart(st: DatasetStats, path: Path) -> bool:
    """Histograms of the character lengths of the main text columns (log scale)."""
    columns = [c for c, v in st.char_lengths.items() if len(v) and v.max() > 0][:4]
    if not columns:
        return False
    from matplotlib.ticker import FuncFormatter, NullFormatter

    fig, ax = _figure()
    top = max(float(np.percentile(st.char_lengths[c], 99)) for c in columns)
    bins = np.logspace(0, np.log10(max(top, 10)), 40)
    for c in columns:
        counts, _ = np.histogram(np.clip(st.char_lengths[c], 1, None), bins=bins)
        ax.stairs(counts, bins, fill=True, alpha=0.55, label=c)  # one artist, not 40 bars
    ax.set_xscale("log")
    # plain numbers (1, 10, 100): matplotlib's default 10^x labels build its mathtext parser
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("characters")
    ax.set_ylabel("rows")
    ax.set_title("Text lengths")
    ax.legend()
    _save(fig, path)
    return True


def funnel_chart(m: dict[str, Any], path: Path) -> bool:
    """Rows left after each filter rule, summed over configs: input, each rule, kept."""
    filters = m.get("filters") or {}
    if not filters:
        return False
    rules = sorted({r for c in filters.values() for r in c} - {"input", "kept", "passed"})
    total = {r: sum(c.get(r, 0) for c in filters.values()) for r in ["input", *rules, "kept"]}
    steps = [("input", total["input"])]
    left = total["input"]
    for r in rules:
        left -= total[r]
        steps.append((f"- {r}", left))
    steps.append(("kept", total["kept"]))
    fig, ax = _figure(7.0, 0.35 * len(steps) + 1.4)
    ax.barh([s for s, _ in steps][::-1], [n for _, n in steps][::-1], color="#55A868")
    ax.set_xlabel("rows")
    ax.set_title("Filter funnel (rows left after each rule)")
    _save(fig, path)
    return True


def clusters_chart(m: dict[str, Any], path: Path) -> bool:
    """Near-duplicate clusters by size, summed over configs."""
    clusters = (m.get("dedup") or {}).get("clusters") or {}
    sizes: dict[str, int] = {}
    for c in clusters.values():
        for size, n in (c.get("near_clusters") or {}).items():
            sizes[size] = sizes.get(size, 0) + n
    if not sizes:
        return False
    order = ["2", "3-5", "6-10", "11-100", ">100"]
    keys = [k for k in order if k in sizes] + [k for k in sizes if k not in order]
    fig, ax = _figure(5.5, 3.0)
    ax.bar(keys, [sizes[k] for k in keys], color="#C44E52")
    ax.set_xlabel("rows in the cluster")
    ax.set_ylabel("clusters")
    ax.set_title("Near-duplicate clusters by size")
    _save(fig, path)
    return True


def scores_chart(st: DatasetStats, m: dict[str, Any], path: Path) -> bool:
    """Bitext: margin scores with the threshold; training tuples: positive vs negative
    scores."""
    if "score" in st.scores and len(st.scores["score"]):
        bitext = m.get("record") == "bitext"
        fig, ax = _figure()
        ax.hist(st.scores["score"], bins=40, color="#8172B2")
        threshold = (m.get("parameters") or {}).get("threshold")
        if bitext and isinstance(threshold, int | float):
            ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold}")
            ax.legend()
        ax.set_xlabel("margin score" if bitext else "score")
        ax.set_ylabel("pairs")
        ax.set_title("Bitext margin scores" if bitext else "Scores of (query, document) pairs")
        _save(fig, path)
        return True
    if len(st.scores.get("positive", [])) and len(st.scores.get("negative", [])):
        fig, ax = _figure()
        both = np.concatenate([st.scores["positive"], st.scores["negative"]])
        bins = np.linspace(float(both.min()), float(both.max()) + 1e-9, 40)
        ax.hist(st.scores["positive"], bins=bins, alpha=0.6, label="positive", density=True)
        ax.hist(st.scores["negative"], bins=bins, alpha=0.6, label="negatives", density=True)
        ax.set_xlabel("score")
        ax.set_ylabel("density")
        ax.set_title("Scores of positives and hard negatives")
        ax.legend()
        _save(fig, path)
        return True
    return False


def splits_chart(m: dict[str, Any], path: Path) -> bool:
    """Benchmark: judged queries in train and test per language."""
    info = (m.get("beir") or {}).get("splits") or {}
    if not info:
        return False
    langs = sorted(info)[:MAX_BARS]
    train = [info[x]["queries"].get("train", 0) for x in langs]
    test = [info[x]["queries"].get("test", 0) for x in langs]
    fig, ax = _figure(max(4.0, 0.35 * len(langs) + 2))
    ax.bar(langs, train, label="train", color="#4C72B0")
    ax.bar(langs, test, bottom=train, label="test", color="#DD8452")
    ax.set_ylabel("queries")
    ax.set_title("Queries per split and language")
    ax.tick_params(axis="x", rotation=60)
    ax.legend()
    _save(fig, path)
    return True


def labels_chart(m: dict[str, Any], path: Path) -> bool:
    """Labelled output: the share of each label per language."""
    info = (m.get("label") or {}).get("per_language") or {}
    if not info:
        return False
    langs = sorted(info)[:MAX_BARS]
    names = [x["name"] for x in m["label"]["labels"]]
    fig, ax = _figure(max(5.0, 0.4 * len(langs) + 3.5))
    bottom = [0.0] * len(langs)
    for name in names:
        share = [
            info[x]["labels"].get(name, 0) / max(1, sum(info[x]["labels"].values())) for x in langs
        ]
        ax.bar(langs, share, bottom=bottom, label=name)
        bottom = [b + s for b, s in zip(bottom, share, strict=True)]
    ax.set_ylabel("share of labelled rows")
    ax.set_title(f"{m['label']['column']} per language")
    ax.tick_params(axis="x", rotation=60)
    ax.legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
    _save(fig, path)
    return True


# (file name, title, draw(stats, manifest, path) -> whether it applied)
Chart = tuple[str, str, Callable[[DatasetStats, dict[str, Any], Path], bool]]

CHARTS: list[Chart] = [
    ("languages.png", "Rows per language", lambda st, m, p: languages_chart(st, p)),
    ("lengths.png", "Text lengths", lambda st, m, p: lengths_chart(st, p)),
    ("funnel.png", "Filter funnel", lambda st, m, p: funnel_chart(m, p)),
    ("clusters.png", "Near-duplicate cluster sizes", lambda st, m, p: clusters_chart(m, p)),
    ("scores.png", "Score distribution", scores_chart),
    ("splits.png", "Queries per split", lambda st, m, p: splits_chart(m, p)),
    ("labels.png", "Labels per language", lambda st, m, p: labels_chart(m, p)),
]


def write_charts(
    st: DatasetStats, m: dict[str, Any], folder: Path, charts: list[Chart] | None = None
) -> list[tuple[str, str]]:
    """Draw every chart of ``charts`` (default: all, :data:`CHARTS`) that applies into
    ``folder``; return (title, file name) of each, in their order."""
    folder.mkdir(parents=True, exist_ok=True)
    drawn = []
    for name, title, draw in CHARTS if charts is None else charts:
        if draw(st, m, folder / name):
            drawn.append((title, name))
    return drawn
