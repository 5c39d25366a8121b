"""Benchmark mkdata's WARC FAQ extraction against extruct on every HTML record, same file, same run.

Usage: python benchmarks/bench_mfaq.py [--pages 2000] [--faq-share 0.1]

Writes a WARC (scripts/warc_gen.py) where a minority of pages carry FAQPage markup
(JSON-LD, microdata and RDFa in turn) and every page carries other JSON-LD
(Organization, BreadcrumbList) as real pages do. Then, each side in its own
process so peak RSS is its own:
  * mkdata: ``read_warc_pairs`` (pre-filter, charset, JSON-LD/microdata/RDFa);
  * baseline: the same WARC reader, every HTML record decoded and given to
    ``extruct.extract(syntaxes=["json-ld", "microdata", "rdfa"])``, FAQ pairs
    taken from its output.
Reports pages/s, the ratio (target >= 3x) end to end and on a WARC of FAQ pages only
(where mkdata's pre-filter saves nothing), peak RSS of each side's process tree, and
checks both sides give
the same pairs (compared on case-folded text without whitespace).
Writes benchmarks/_work/mfaq_results.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "scripts"))
sys.path.insert(0, str(HERE))
from faq_content import FAQ  # noqa: E402
from measure import run_measured  # noqa: E402
from warc_gen import (  # noqa: E402
    http_response,
    jsonld_page,
    microdata_page,
    plain_page,
    rdfa_page,
    request_record,
    warc_record,
    write_warc,
)

WORK = HERE / "_work"
OTHER_JSONLD = (
    '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
    '{"@type": "Organization", "name": "Example", "url": "https://example.com/", '
    '"logo": "https://example.com/logo.png", "sameAs": ["https://x.com/example"]}, '
    '{"@type": "BreadcrumbList", "itemListElement": [{"@type": "ListItem", "position": 1, '
    '"name": "Home", "item": "https://example.com/"}]}]}</script>'
)


def write_bench_warc(path: Path, pages: int, faq_share: float, seed: int = 11) -> dict:
    rng = random.Random(seed)
    langs = list(FAQ)
    records, n_faq = [], 0
    for i in range(pages):
        url = f"https://site{i % 97}.example.com/page/{i}"
        if rng.random() < faq_share:
            _, qas = FAQ[langs[n_faq % len(langs)]]
            chosen = [(f"{q} ({i})", a) for q, a in rng.sample(qas, 6)]
            page = (jsonld_page, microdata_page, rdfa_page)[n_faq % 3](chosen)
            n_faq += 1
        else:
            page = plain_page(rng, rng.randint(10, 60))
        page = page.replace("</head>", OTHER_JSONLD + "</head>", 1)
        records += [request_record(url), warc_record(url, http_response(page.encode()))]
    write_warc(path, records)
    return {"pages": pages, "faq_pages": n_faq, "bytes": path.stat().st_size}


def _key(q: str, a: str) -> tuple[str, str]:
    return "".join(q.split()).casefold(), "".join(a.split()).casefold()


def _microdata_pairs(item: dict) -> list[tuple[str, str]]:
    """FAQ pairs from one extruct microdata item."""
    out = []
    if not str(item.get("type", "")).lower().endswith("faqpage"):
        return out
    for q in item.get("properties", {}).get("mainEntity", []) or []:
        if isinstance(q, dict):
            props = q.get("properties", {})
            ans = props.get("acceptedAnswer") or props.get("suggestedAnswer") or {}
            ans = ans[0] if isinstance(ans, list) else ans
            text = ans.get("properties", {}).get("text", "") if isinstance(ans, dict) else ""
            out.append((str(props.get("name", "")), str(text)))
    return out


def side(which: str, warc: Path) -> dict:
    """Run one side over ``warc``; return timing and its pair keys."""
    from mkdata.builders.charset import decode_html
    from mkdata.builders.faq_markup import jsonld_pairs
    from mkdata.builders.mfaq import read_warc_pairs
    from mkdata.builders.normalize import normalize_entry
    from mkdata.builders.warc import iter_html_responses
    from mkdata.core.report import Report

    keys: set[tuple[str, str, str]] = set()
    start = time.perf_counter()
    if which == "mkdata":
        for raw in read_warc_pairs(warc, Report(), str(warc)):
            keys.add((raw.url, *_key(normalize_entry(raw.question), normalize_entry(raw.answer))))
    else:
        import extruct

        for page in iter_html_responses(warc, Report(), str(warc)):
            text, _ = decode_html(page.body, page.charset)
            data = extruct.extract(
                text, base_url=page.url, syntaxes=["json-ld", "microdata", "rdfa"], errors="ignore"
            )
            found = [p for doc in data.get("json-ld", []) for p in jsonld_pairs(doc)]
            found += [p for item in data.get("microdata", []) for p in _microdata_pairs(item)]
            found += list(jsonld_pairs(data.get("rdfa", [])))
            for q, a in found:
                q, a = normalize_entry(q), normalize_entry(a)
                if q and a:
                    keys.add((page.url, *_key(q, a)))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "keys": sorted(keys)}


def run_side(which: str, warc: Path) -> dict:
    out = WORK / f"mfaq_{which}.json"
    cmd = [sys.executable, __file__, "--side", which, "--warc", str(warc), "--result", str(out)]
    _, peak = run_measured(cmd)
    result = json.loads(out.read_text())
    result["peak_rss_mib"] = peak
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=2000, help="HTML pages in the WARC")
    ap.add_argument(
        "--faq-share", type=float, default=0.1, help="share of pages with FAQPage markup"
    )
    ap.add_argument(
        "--side", choices=["mkdata", "extruct"], help="(internal) run one side on --warc"
    )
    ap.add_argument("--warc", type=Path, help="(internal) the WARC of --side")
    ap.add_argument("--result", type=Path, help="(internal) where --side writes its result")
    args = ap.parse_args()
    if args.side:
        args.result.write_text(json.dumps(side(args.side, args.warc)))
        return
    WORK.mkdir(exist_ok=True)
    warc = WORK / "bench.warc.gz"
    info = write_bench_warc(warc, args.pages, args.faq_share)
    ours, base = run_side("mkdata", warc), run_side("extruct", warc)
    a, b = {tuple(k) for k in ours["keys"]}, {tuple(k) for k in base["keys"]}
    ratio = base["seconds"] / ours["seconds"]
    # the same comparison on FAQ pages only: mkdata's pre-filter skips nothing there
    faq_warc = WORK / "bench_faq_only.warc.gz"
    faq_info = write_bench_warc(faq_warc, info["faq_pages"], 1.0)
    ours_faq, base_faq = run_side("mkdata", faq_warc), run_side("extruct", faq_warc)
    faq_ratio = base_faq["seconds"] / ours_faq["seconds"]
    rows = [
        (
            "WARC",
            f"{info['pages']} HTML pages, {info['faq_pages']} with FAQ markup, "
            f"{info['bytes'] / 1e6:.1f} MB gzipped",
        ),
        (
            "extruct on every HTML record",
            f"{base['seconds']:.2f} s ({info['pages'] / base['seconds']:.0f} pages/s)",
        ),
        ("mkdata", f"{ours['seconds']:.2f} s ({info['pages'] / ours['seconds']:.0f} pages/s)"),
        (
            "**speed-up mkdata vs extruct**",
            f"**{ratio:.1f}x** (target >= 3x: {'met' if ratio >= 3 else 'NOT met'})",
        ),
        (
            f"FAQ pages only ({faq_info['pages']} pages, all with FAQ markup): extruct / mkdata",
            f"{base_faq['seconds']:.2f} s / {ours_faq['seconds']:.2f} s: **{faq_ratio:.1f}x**",
        ),
        ("pairs: mkdata / extruct / both", f"{len(a)} / {len(b)} / {len(a & b)}"),
        (
            "peak RSS mkdata / extruct",
            f"{ours['peak_rss_mib']:.0f} / {base['peak_rss_mib']:.0f} MiB",
        ),
    ]
    print("| metric | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    summary = {
        **info,
        "mkdata_s": ours["seconds"],
        "extruct_s": base["seconds"],
        "ratio": ratio,
        "faq_only_ratio": faq_ratio,
        "pairs_mkdata": len(a),
        "pairs_extruct": len(b),
        "pairs_both": len(a & b),
        "rss_mkdata_mib": ours["peak_rss_mib"],
        "rss_extruct_mib": base["peak_rss_mib"],
    }
    (WORK / "mfaq_results.json").write_text(json.dumps(summary, indent=1))
    if a != b:
        print(f"pairs differ: only mkdata {sorted(a - b)[:3]}, only extruct {sorted(b - a)[:3]}")


if __name__ == "__main__":
    main()
