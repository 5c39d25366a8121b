"""MFAQ builder: Common Crawl WARC files -> FAQPage pairs (JSON-LD, microdata, RDFa) -> dataset."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from urllib.parse import urljoin

from mkdata.builders.charset import decode_html
from mkdata.builders.faq_markup import extract_faq, has_faq_markup
from mkdata.builders.qa_build import BuildResult, ProgressFn, QABuildConfig, run_qa_build
from mkdata.builders.raw_pair import RawPair
from mkdata.builders.warc import iter_html_responses
from mkdata.core.fetch import CorruptInput, HttpClient, expand_sources, gunzip_if_gzipped
from mkdata.core.report import Report

CC_BASE_ENV = "MKDATA_CC_BASE_URL"
CC_BASE_URL = "https://data.commoncrawl.org/"
_CRAWL = re.compile(r"^CC-MAIN-\d{4}-\d{2}$")
_CRAWL_IN_PATH = re.compile(r"(CC-MAIN-\d{4}-\d{2})")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def sample_path() -> Path:
    """Return the path of the WARC sample bundled with mkdata."""
    return Path(str(resources.files("mkdata").joinpath("builders/samples/mfaq-sample.warc.gz")))


def parse_segments(spec: str) -> slice:
    """Parse ``--segments``: ``START:END`` (END exclusive, either may be empty) or one index."""
    text = spec.strip()
    try:
        if ":" not in text:
            i = int(text)
            return slice(i, i + 1)
        start, end = text.split(":", 1)
        return slice(int(start) if start.strip() else None, int(end) if end.strip() else None)
    except ValueError:
        raise ValueError(f"--segments: expected START:END or an index, got {spec!r}") from None


def list_warcs(
    crawl: str,
    segments: slice = slice(None),
    base_url: str | None = None,
    client: HttpClient | None = None,
) -> list[str]:
    """Return the URLs of a crawl's WARC files, selected by position in its ``warc.paths.gz``.

    Raises ValueError for a malformed crawl id or an empty selection, FetchError
    when the listing cannot be downloaded.
    """
    if not _CRAWL.match(crawl):
        raise ValueError(f"invalid crawl {crawl!r}: expected an id like CC-MAIN-2024-42")
    base = (base_url or os.environ.get(CC_BASE_ENV) or CC_BASE_URL).rstrip("/") + "/"
    listing = urljoin(base, f"crawl-data/{crawl}/warc.paths.gz")
    data = gunzip_if_gzipped((client or HttpClient()).get_bytes(listing))
    paths = [line.strip() for line in data.decode("utf-8", "replace").splitlines()]
    paths = [p for p in paths if p and not p.startswith("#")]
    selected = paths[segments]
    if not selected:
        raise ValueError(
            f"--segments selects none of the {len(paths)} WARC files listed in {listing}"
        )
    return [urljoin(base, p) for p in selected]


def source_label(spec: str) -> str:
    """Return the ``source`` column value for a source: ``cc:<crawl>`` when known."""
    m = _CRAWL_IN_PATH.search(spec)
    return f"cc:{m.group(1)}" if m else "cc"


def resolve_sources(
    sources: list[str] | None,
    crawl: str | None,
    segments: str | None = None,
    sample: bool = False,
    base_url: str | None = None,
) -> list[str]:
    """Return the files/URLs to build from: the sample, explicit sources, or a crawl's WARCs."""
    if sample:
        return [str(sample_path())]
    if sources:
        return expand_sources(sources)
    if not crawl:
        raise ValueError("give --source, --crawl or --sample")
    return list_warcs(crawl, parse_segments(segments or ":"), base_url)


def read_warc_pairs(
    path: Path, report: Report, where: str, limit: int | None = None
) -> Iterator[RawPair]:
    """Yield the FAQ pairs of every HTML page in a WARC file (at most ``limit`` FAQ pages).

    Counts pages by outcome in ``report.counts``; a corrupt or truncated file sets
    ``report.error`` after the pairs read before the damage.
    """
    counts = report.counts
    pages = 0
    try:
        for page in iter_html_responses(path, report, where):
            body = page.body
            if not has_faq_markup(body) and not body.startswith(_UTF16_BOMS):
                counts["pages_without_faq_markup"] += 1
                continue
            text, codec = decode_html(body, page.charset)
            if codec != "utf-8":
                counts[f"charset_{codec}"] += 1
            at = f"{where}: record {page.record} <{page.url}>"
            try:
                faq = extract_faq(text)
            except Exception as exc:  # a page the parser cannot handle must not stop the file
                counts["pages_unparsable"] += 1
                report.problem("page_unparsable", at, f"{type(exc).__name__}: {exc}")
                continue
            for kind, message in faq.problems:
                report.problem(kind, at, message)
            if not faq.pairs:
                counts["faq_markup_without_pairs"] += 1
                continue
            counts["faq_pages"] += 1
            for syntax in faq.syntaxes:
                counts[f"pairs_{syntax}"] += 1
            for question, answer in faq.pairs:
                yield RawPair(
                    page.url, question, answer, faq.title, faq.description, faq.language,
                    context_is_html=False,
                )  # fmt: skip
            pages += 1
            if limit is not None and pages >= limit:
                return
    except CorruptInput as exc:
        report.error = f"{where}: {exc}"
        report.problem("corrupt_input", where, str(exc))


def build(cfg: QABuildConfig, progress: ProgressFn | None = None) -> BuildResult:
    """Build an MFAQ-style dataset from WARC sources (``cfg.sources``) into ``cfg.out``."""
    return run_qa_build(cfg, read_warc_pairs, source_label, progress)
