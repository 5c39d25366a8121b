"""Write FAQ pages as Web Data Commons-style N-Quads (the real class-specific file shape).

Each page mixes FAQ quads with non-FAQ ones (WebPage, Organization,
BreadcrumbList), uses blank-node subjects (``_:n<hex>xb3``) and sometimes IRI
subjects, http and https schema.org IRIs, literals with N-Triples escapes,
datatypes and language tags, and three spaces before the final dot.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

S_HTTP = "http://schema.org/"
S_HTTPS = "https://schema.org/"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


def escape_literal(text: str, rng: random.Random) -> str:
    """N-Triples-escape ``text``; non-ASCII is sometimes written as \\uXXXX escapes."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) > 127 and rng.random() < 0.3:
            cp = ord(ch)
            out.append(f"\\u{cp:04X}" if cp <= 0xFFFF else f"\\U{cp:08X}")
        else:
            out.append(ch)
    return "".join(out)


def literal(text: str, rng: random.Random, lang: str | None = None) -> str:
    body = f'"{escape_literal(text, rng)}"'
    r = rng.random()
    if lang and r < 0.2:
        return f"{body}@{lang}"
    if r < 0.3:
        return f"{body}^^<http://www.w3.org/2001/XMLSchema#string>"
    return body


def page_quads(
    url: str, qas: Iterable[tuple[str, str]], rng: random.Random, lang2: str | None = None
) -> list[str]:
    """Return the N-Quads lines of one FAQ page at ``url``."""
    schema = S_HTTPS if rng.random() < 0.5 else S_HTTP
    graph = f"<{url}>"
    ids = iter(range(10**6))

    def node() -> str:
        return f"_:n{rng.getrandbits(128):032x}x{next(ids)}xb3"

    def q(s: str, p: str, o: str) -> str:
        return f"{s} {p} {o} {graph}   ."

    lines = []
    org = node()
    lines += [
        q(org, RDF_TYPE, f"<{schema}Organization>"),
        q(org, f"<{schema}name>", literal(url.split("/")[2], rng)),
        q(org, f"<{schema}url>", f"<{url.split('/', 3)[0]}//{url.split('/')[2]}/>"),
    ]
    page = node()
    lines += [
        q(page, RDF_TYPE, f"<{schema}WebPage>"),
        q(page, f"<{schema}url>", graph),
        q(page, f"<{schema}name>", literal("FAQ | " + url.split("/")[2], rng)),
        q(page, f"<{schema}datePublished>", f'"2024-03-0{rng.randint(1, 9)}"'),
        q(page, f"<{schema}inLanguage>", literal(lang2 or "en", rng)),
        q(page, f"<{schema}publisher>", org),
    ]
    crumbs = node()
    lines.append(q(crumbs, RDF_TYPE, f"<{schema}BreadcrumbList>"))
    for pos, name in enumerate(("Home", "Help", "FAQ"), 1):
        item = node()
        lines += [
            q(crumbs, f"<{schema}itemListElement>", item),
            q(item, RDF_TYPE, f"<{schema}ListItem>"),
            q(item, f"<{schema}position>", f'"{pos}"^^<http://www.w3.org/2001/XMLSchema#integer>'),
            q(item, f"<{schema}name>", literal(name, rng)),
        ]
    faq = f"<{url}#faq>" if rng.random() < 0.2 else node()
    lines.append(q(faq, RDF_TYPE, f"<{schema}FAQPage>"))
    for question, answer in qas:
        qn, an = node(), node()
        lines.append(q(faq, f"<{schema}mainEntity>", qn))
        lines.append(q(qn, RDF_TYPE, f"<{schema}Question>"))
        lines.append(q(qn, f"<{schema}name>", literal(question, rng, lang2)))
        pred = "acceptedAnswer" if rng.random() < 0.9 else "suggestedAnswer"
        lines.append(q(qn, f"<{schema}{pred}>", an))
        lines.append(q(an, RDF_TYPE, f"<{schema}Answer>"))
        lines.append(q(an, f"<{schema}text>", literal(answer, rng, lang2)))
    lines.append(q(faq, f"<{schema}name>", literal("FAQ", rng)))
    return lines


def write_corpus(path, target_bytes: int, seed: int = 0, compress: bool = True) -> dict:
    """Write a synthetic WDC-style FAQPage N-Quads file of about ``target_bytes`` (uncompressed).

    Pages draw 3-8 FAQ entries of one language from ``faq_content.FAQ``; numbers
    and site names vary so that most pairs are distinct. Returns counts written.
    """
    import gzip
    import re

    from faq_content import FAQ

    rng = random.Random(seed)
    langs = list(FAQ)
    digits = re.compile(r"\d+")
    written = pages = pairs = 0
    fh = (
        gzip.open(path, "wt", encoding="utf-8", compresslevel=6)  # noqa: SIM115
        if compress
        else open(path, "w", encoding="utf-8")  # noqa: SIM115
    )
    with fh:
        while written < target_bytes:
            lang = rng.choice(langs)
            site, qas = FAQ[lang]
            host = f"{rng.choice(['www', 'shop', 'help', 'support'])}{pages % 9973}.{site}"
            url = f"{rng.choice(['http', 'https'])}://{host}/faq/{pages}"
            chosen = rng.sample(qas, rng.randint(3, 8))
            varied = [
                (q, digits.sub(lambda m: str(rng.randint(1, 99)), a) + f" {host}")
                for q, a in chosen
            ]
            block = "\n".join(page_quads(url, varied, rng)) + "\n"
            fh.write(block)
            written += len(block.encode("utf-8"))
            pages += 1
            pairs += len(varied)
    return {"bytes": written, "pages": pages, "pairs": pairs}
