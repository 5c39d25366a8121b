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
        return f"_:n{rng.getrandbits(40):x}x{next(ids)}xb3"

    def q(s: str, p: str, o: str) -> str:
        return f"{s} {p} {o} {graph}   ."

    lines = []
    org = node()
    lines += [
        q(org, RDF_TYPE, f"<{schema}Organization>"),
        q(org, f"<{schema}name>", literal(url.split("/")[2], rng)),
        q(org, f"<{schema}url>", f"<{url.split('/', 3)[0]}//{url.split('/')[2]}/>"),
    ]
    crumbs = node()
    lines += [
        q(crumbs, RDF_TYPE, f"<{schema}BreadcrumbList>"),
        q(crumbs, f"<{schema}itemListElement>", node()),
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
