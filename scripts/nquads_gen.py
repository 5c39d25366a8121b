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


def shop_quads(url: str, schema: str, node, q, rng: random.Random) -> list[str]:
    """The non-FAQ markup a shop page carries beside its FAQ: a Product with offers, rating
    and images, and the WebSite with its SearchAction."""
    host = url.split("/")[2]
    product, offer, rating, site, action = node(), node(), node(), node(), node()
    words = ["quality", "material", "design", "comfort", "size", "colour", "delivery", "warranty"]
    text = " ".join(rng.choice(words) for _ in range(rng.randint(20, 60)))
    lines = [
        q(product, RDF_TYPE, f"<{schema}Product>"),
        q(product, f"<{schema}name>", literal(f"Product {rng.randint(1, 10**6)}", rng)),
        q(product, f"<{schema}description>", literal(text, rng)),
        q(product, f"<{schema}sku>", f'"{rng.getrandbits(40):x}"'),
        q(product, f"<{schema}offers>", offer),
        q(offer, RDF_TYPE, f"<{schema}Offer>"),
        q(offer, f"<{schema}price>", f'"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}"'),
        q(offer, f"<{schema}priceCurrency>", '"EUR"'),
        q(offer, f"<{schema}availability>", f"<{schema}InStock>"),
        q(product, f"<{schema}aggregateRating>", rating),
        q(rating, RDF_TYPE, f"<{schema}AggregateRating>"),
        q(rating, f"<{schema}ratingValue>", f'"{rng.randint(30, 50) / 10}"'),
        q(rating, f"<{schema}reviewCount>", f'"{rng.randint(1, 900)}"'),
        q(site, RDF_TYPE, f"<{schema}WebSite>"),
        q(site, f"<{schema}url>", f"<https://{host}/>"),
        q(site, f"<{schema}potentialAction>", action),
        q(action, RDF_TYPE, f"<{schema}SearchAction>"),
        q(action, f"<{schema}target>", f"<https://{host}/search?q={{search_term_string}}>"),
        q(action, f"<{schema}query-input>", '"required name=search_term_string"'),
    ]
    for i in range(3):
        lines.append(
            q(product, f"<{schema}image>", f"<https://{host}/img/{rng.getrandbits(32):x}_{i}.jpg>")
        )
    return lines


def page_quads(
    url: str,
    qas: Iterable[tuple[str, str]],
    rng: random.Random,
    lang2: str | None = None,
    shop: bool = False,
) -> list[str]:
    """Return the N-Quads lines of one FAQ page at ``url`` (with a shop's product markup
    beside it when ``shop``)."""
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
    if shop:
        lines += shop_quads(url, schema, node, q, rng)
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


def write_corpus(
    path, target_bytes: int, seed: int = 0, compress: bool = True, shape: str = "distinct"
) -> dict:
    """Write a synthetic WDC-style FAQPage N-Quads file of about ``target_bytes`` (uncompressed).

    ``distinct``: pages draw 3-8 FAQ entries of one language from ``faq_content.FAQ``;
    numbers and site names vary so that most pairs are distinct. ``real``: shop sites of
    about 10 pages each, every page carrying product markup beside its FAQ, and the pages of
    a site drawing their entries from the site's own FAQ (12 entries), so pairs repeat across
    a site's pages as on the web. Returns counts written.
    """
    import gzip
    import re

    from faq_content import FAQ

    if shape not in ("distinct", "real"):
        raise ValueError(f"unknown corpus shape {shape!r}")
    rng = random.Random(seed)
    langs = list(FAQ)
    digits = re.compile(r"\d+")
    n_sites = max(1, target_bytes // 150_000)
    written = pages = pairs = 0
    fh = (
        gzip.open(path, "wt", encoding="utf-8", compresslevel=6)  # noqa: SIM115
        if compress
        else open(path, "w", encoding="utf-8")  # noqa: SIM115
    )
    with fh:
        while written < target_bytes:
            if shape == "real":
                site_id = rng.randrange(n_sites)
                site_rng = random.Random(seed * 1_000_003 + site_id)
                lang = site_rng.choice(langs)
                site, qas = FAQ[lang]
                host = f"shop{site_id}.{site}"
                pool = [
                    (q, digits.sub(lambda m, r=site_rng: str(r.randint(1, 99)), a) + f" {host}")
                    for q, a in site_rng.sample(qas, min(12, len(qas)))
                ]
                url = f"https://{host}/p/{pages}"
                varied = rng.sample(pool, rng.randint(3, min(8, len(pool))))
            else:
                lang = rng.choice(langs)
                site, qas = FAQ[lang]
                host = f"{rng.choice(['www', 'shop', 'help', 'support'])}{pages % 9973}.{site}"
                url = f"{rng.choice(['http', 'https'])}://{host}/faq/{pages}"
                chosen = rng.sample(qas, rng.randint(3, 8))
                varied = [
                    (q, digits.sub(lambda m: str(rng.randint(1, 99)), a) + f" {host}")
                    for q, a in chosen
                ]
            block = "\n".join(page_quads(url, varied, rng, shop=shape == "real")) + "\n"
            fh.write(block)
            written += len(block.encode("utf-8"))
            pages += 1
            pairs += len(varied)
    return {"bytes": written, "pages": pages, "pairs": pairs}
