"""What each kind of mkdata output is, for its card: title, description, Hub tasks, tags,
the methods to cite, and whether its configs share one schema (then an `all` config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Kind:
    """The card facts of one record type."""

    key: str
    title: str  # what the rows are, for pretty_name
    description: str  # what the rows are and how they were made
    task_categories: tuple[str, ...]
    task_ids: tuple[str, ...]
    tags: tuple[str, ...]
    citations: tuple[str, ...] = ()  # keys of CITATIONS, beyond the source's
    one_schema: bool = True  # every config has the same columns (an `all` config works)
    language_configs: bool = True  # config names are languages (or language pairs)
    extra: dict[str, Any] = field(default_factory=dict)


KINDS = {
    k.key: k
    for k in (
        Kind(
            "qa-pair", "FAQ question-answer pairs",
            "Each row is one question-answer pair from a web FAQ page: schema.org `FAQPage` "
            "markup parsed, its HTML rendered to plain text, quality-filtered, language-"
            "identified with fastText, and deduplicated exactly per language.",
            ("question-answering", "text-retrieval", "sentence-similarity"),
            ("open-domain-qa", "document-retrieval"), ("faq", "retrieval", "mkdata"),
        ),
        Kind(
            "faq-page", "FAQ pages",
            "Each row is one web FAQ page with all its question-answer pairs of one language, "
            "in page order (MFAQ's layout), built like the QA-pair layout.",
            ("question-answering", "text-retrieval"), ("open-domain-qa", "document-retrieval"),
            ("faq", "retrieval", "mkdata"), one_schema=True,
        ),
        Kind(
            "dedup", "deduplicated rows",
            "The rows of the input dataset, in input order and in the same configs, without "
            "duplicates: exact duplicates (equal after normalization), near duplicates "
            "(MinHash LSH on character shingles, verified by Jaccard), semantic duplicates "
            "(embedding cosine) and rows leaking from another dataset, as enabled; the first "
            "row of each cluster is kept.",
            ("question-answering", "text-retrieval", "sentence-similarity"),
            ("open-domain-qa", "document-retrieval"), ("deduplicated", "retrieval", "mkdata"),
            ("minhash",),
        ),
        Kind(
            "bitext", "mined parallel pairs",
            "Each row is a pair of rows in two languages that say the same thing, mined with "
            "margin-based scoring (Artetxe & Schwenk, 2019) over multilingual sentence "
            "embeddings and kept above the score threshold.",
            ("translation", "sentence-similarity"), (),
            ("bitext", "parallel-corpus", "mkdata"), ("margin",),
        ),
        Kind(
            "negatives", "retrieval training tuples with hard negatives",
            "Each row is a query with a positive document and hard negatives mined from the "
            "corpus with positive-aware filtering (NV-Retriever's TopK-PercPos), in a layout "
            "that sentence-transformers or FlagEmbedding trains on as is.",
            ("sentence-similarity", "text-retrieval"), ("document-retrieval",),
            ("hard-negatives", "retrieval", "mkdata"), ("nvretriever",),
        ),
        Kind(
            "beir", "retrieval benchmark",
            "A retrieval benchmark per language: the distinct answers are the corpus, the "
            "distinct questions the queries, and the qrels say which answers are relevant; "
            "queries are split into train and test by site, so no site is in both.",
            ("text-retrieval",), ("document-retrieval",), ("beir", "mteb", "retrieval", "mkdata"),
            ("beir",), one_schema=False,
        ),
        Kind(
            "synthetic-query", "synthetic queries",
            "Each row is a query an LLM generated for a passage with summarize-then-ask "
            "prompting (SAP, as in SWIM-IR): the model first summarizes the passage, then asks "
            "a question the passage answers.",
            ("text-retrieval", "sentence-similarity"), ("document-retrieval",),
            ("synthetic", "sap", "retrieval", "mkdata"), ("swimir",),
        ),
        Kind(
            "swim-ir", "synthetic queries (SWIM-IR layout)",
            "Each row is a query an LLM generated for a passage with summarize-then-ask "
            "prompting (SAP, as in SWIM-IR), in SWIM-IR's column layout.",
            ("text-retrieval",), ("document-retrieval",), ("synthetic", "swim-ir", "retrieval", "mkdata"),
            ("swimir",),
        ),
        Kind(
            "bitext-judgement", "LLM judgements of mined parallel pairs",
            "Each row is a mined pair from a sample of a bitext dataset, with the score (0-100) "
            "an LLM gave it for translation equivalence (a GEMBA-DA-style direct assessment); "
            "the precision at each margin threshold is in `mkdata.json`.",
            ("translation",), (), ("bitext", "llm-judge", "mkdata"), ("margin",),
        ),
        Kind(
            "passage", "passages",
            "Each row is a passage of about N words cut from a document, the unit queries are "
            "generated for.",
            ("text-retrieval",), ("document-retrieval",), ("retrieval", "mkdata"),
        ),
    )
}  # fmt: skip


def kind_of(m: dict[str, Any]) -> Kind:
    """The kind of the output whose manifest is ``m``."""
    if m.get("command") == "dedup":
        return KINDS["dedup"]
    return KINDS.get(m.get("record", ""), KINDS["qa-pair"])


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
    "minhash": """@inproceedings{broder1997resemblance,
  title     = {On the Resemblance and Containment of Documents},
  author    = {Broder, Andrei Z.},
  booktitle = {Proceedings of Compression and Complexity of Sequences},
  year      = {1997}
}""",
    "margin": """@inproceedings{artetxe2019margin,
  title     = {Margin-based Parallel Corpus Mining with Multilingual Sentence Embeddings},
  author    = {Artetxe, Mikel and Schwenk, Holger},
  booktitle = {Proceedings of the 57th Annual Meeting of the ACL},
  year      = {2019}
}""",
    "nvretriever": """@misc{moreira2024nvretriever,
  title  = {NV-Retriever: Improving text embedding models with effective hard-negative mining},
  author = {Moreira, Gabriel de Souza P. and Osmulski, Radek and Xu, Mengyao and Ak, Ronay and Schifferer, Benedikt and Oldridge, Even},
  year   = {2024},
  eprint = {2407.15831},
  archivePrefix = {arXiv}
}""",
    "beir": """@inproceedings{thakur2021beir,
  title     = {{BEIR}: A Heterogeneous Benchmark for Zero-shot Evaluation of Information Retrieval Models},
  author    = {Thakur, Nandan and Reimers, Nils and R{\\"u}ckl{\\'e}, Andreas and Srivastava, Abhishek and Gurevych, Iryna},
  booktitle = {NeurIPS Datasets and Benchmarks Track},
  year      = {2021}
}""",
    "swimir": """@inproceedings{thakur2024swimir,
  title     = {Leveraging {LLM}s for Synthesizing Training Data Across Many Languages in Multilingual Dense Retrieval},
  author    = {Thakur, Nandan and Ni, Jianmo and Hern{\\'a}ndez {\\'A}brego, Gustavo and Wieting, John and Lin, Jimmy and Cer, Daniel},
  booktitle = {Proceedings of NAACL 2024},
  year      = {2024}
}""",
}
