"""WebFAQ builder: Web Data Commons schema.org FAQPage N-Quads -> per-language QA dataset."""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path
from urllib.parse import urljoin

from mkdata.builders.nquads import read_faq_pairs
from mkdata.builders.qa_build import BuildResult, ProgressFn, QABuildConfig, run_qa_build
from mkdata.core.fetch import HttpClient, expand_sources

WDC_BASE_ENV = "MKDATA_WDC_BASE_URL"
WDC_BASE_URL = "https://data.dws.informatik.uni-mannheim.de/structureddata/"
DEFAULT_SNAPSHOT = "2024-12"
KNOWN_SNAPSHOTS = ("2022-12", "2023-12", "2024-12")
FAQ_CLASS = "FAQPage"

_SNAPSHOT = re.compile(r"^(20\d\d)-12$")
_PART = re.compile(r"part_(\d+)\.gz")
_SNAPSHOT_IN_PATH = re.compile(r"/(20\d\d-12)/")


def sample_path() -> Path:
    """Return the path of the N-Quads sample bundled with mkdata."""
    return Path(str(resources.files("mkdata").joinpath("builders/samples/webfaq-sample.nq.gz")))


def class_url(snapshot: str, base_url: str | None = None) -> str:
    """Return the URL of the FAQPage class-specific folder of a WDC snapshot."""
    if not _SNAPSHOT.match(snapshot):
        raise ValueError(
            f"invalid snapshot {snapshot!r}: expected YYYY-12 (known: {', '.join(KNOWN_SNAPSHOTS)})"
        )
    base = base_url or os.environ.get(WDC_BASE_ENV) or WDC_BASE_URL
    return urljoin(base.rstrip("/") + "/", f"{snapshot}/quads/classspecific/{FAQ_CLASS}/")


def list_parts(
    snapshot: str, base_url: str | None = None, client: HttpClient | None = None
) -> list[str]:
    """Return the URLs of a snapshot's FAQPage part files, read from WDC's published listing.

    The listing is the class's PLD lookup file (``FAQPage_lookup.csv``), which names
    the part file of every pay-level domain; the folder index is the fallback.
    Raises FetchError when neither can be read, ValueError when they name no parts.
    """
    client = client or HttpClient()
    folder = class_url(snapshot, base_url)
    names: set[str] = set()
    errors = []
    for listing in (f"{FAQ_CLASS}_lookup.csv", ""):
        try:
            names.update(_PART.findall(client.get_text(folder + listing)))
        except Exception as exc:  # FetchError or a decode problem; try the next listing
            errors.append(str(exc))
            continue
        if names:
            break
    if not names:
        detail = "; ".join(errors) if errors else "no part_N.gz entries"
        raise ValueError(f"no FAQPage parts found for snapshot {snapshot} at {folder}: {detail}")
    return [folder + f"part_{n}.gz" for n in sorted({int(n) for n in names})]


def source_label(spec: str) -> str:
    """Return the ``source`` column value for a source: ``wdc:<snapshot>`` when known."""
    m = _SNAPSHOT_IN_PATH.search(spec.replace("\\", "/"))
    return f"wdc:{m.group(1)}" if m else "wdc"


def resolve_sources(
    sources: list[str] | None,
    snapshots: list[str] | None,
    sample: bool = False,
    base_url: str | None = None,
) -> list[str]:
    """Return the concrete list of files/URLs to build from.

    ``sample`` uses the bundled sample; explicit ``sources`` are expanded (files,
    directories, globs, URLs); otherwise every part of each snapshot is listed.
    """
    if sample:
        return [str(sample_path())]
    if sources:
        return expand_sources(sources)
    urls: list[str] = []
    for snap in snapshots or [DEFAULT_SNAPSHOT]:
        urls.extend(list_parts(snap, base_url))
    return urls


def build(cfg: QABuildConfig, progress: ProgressFn | None = None) -> BuildResult:
    """Build a WebFAQ-style dataset from N-Quads sources (``cfg.sources``) into ``cfg.out``."""
    return run_qa_build(cfg, read_faq_pairs, source_label, progress)
