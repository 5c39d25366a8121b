"""The parser-free rendering of simple HTML gives the parser's text, or declines."""

from __future__ import annotations

import random

import pytest

from mkdata.builders.normalize import BLOCK_TAGS, html_to_text, render_parsed
from mkdata.builders.simple_html import BLOCKS, INLINE, VOID, VOID_BREAKS, render_simple

SIMPLE_TAGS = sorted(BLOCKS | INLINE)
STRUCTURE = ["li", "ul", "div", "p", "a", "b", "h2"]  # the nestings the parser cares about
# tags the parser treats specially (implied ends, dropped content, tables, foreign content)
OTHER_TAGS = ["table", "tr", "td", "script", "style", "pre", "dl", "dd", "button", "svg", "x-y"]
ATTRIBUTES = [
    ' href="/a?b=1&amp;c=2"',
    " class=x",
    " title='a > b'",
    ' data-x="<p>"',
    " hidden",
    '  id = "k"  ',
    " a=b=c",
    ' x="unclosed',
    "\xa0class=x",
    "\tstyle='color:red'\n",
]
TEXTS = [
    "word",
    " two words ",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "\x0c",
    "\x0b",
    "\xa0",
    "Größe 42 – 😀",
    "日本語",
    "a < b",
    "<3",
    "x & y",
    "&",
    "<",
    "&amp;",
    "&AMP;",
    "&nbsp;",
    "&notin;",
    "&notit;",
    "&amp",
    "&copy2",
    "&#39;",
    "&#x27;",
    "&#0;",
    "&#1;",
    "&#x80;",
    "&#x9F;",
    "&#xD800;",
    "&#xFFFE;",
    "&#x1F600;",
    "&#x110000;",
    "&#xFFFF;",
    "&#xFDD0;",
    "&#x10FFFF;",
    "&#13;",
    "&#65",
    "\x00",
    "\x01",
    "\x7f",
    "\x85",
    "\ufffe",
    "\ud800",
    "<!-- c -->",
    "<!doctype html>",
    "</ p>",
    "</>",
    "<?x?>",
    "</br>",
    "<br/>",
    "<hr>",
    "<img src=x>",
    "<wbr>",
    "<p/>",
    "</p>",
    "</b>",
    "</li>",
    "]]>",
]


def _fragment(rng: random.Random, depth: int = 0) -> str:
    """A random fragment: mostly well-formed simple HTML, with quirks mixed in."""
    parts = []
    for _ in range(rng.randint(0, 4)):
        roll = rng.random()
        if roll < 0.4:
            parts.append(rng.choice(TEXTS))
        elif roll < 0.85 and depth < 4:
            pick = rng.random()
            name = rng.choice(
                OTHER_TAGS if pick < 0.1 else STRUCTURE if pick < 0.6 else SIMPLE_TAGS
            )
            if rng.random() < 0.3:
                name = name.upper()
            attrs = rng.choice(ATTRIBUTES) if rng.random() < 0.3 else ""
            close = f"</{name}>" if rng.random() < 0.95 else ""
            parts.append(f"<{name}{attrs}>{_fragment(rng, depth + 1)}{close}")
        else:
            parts.append(f"<{rng.choice(sorted(VOID))}>")
    return "".join(parts)


def test_it_gives_the_parsers_text_or_declines() -> None:
    rng = random.Random(20261204)
    taken = 0
    cases = 20_000
    for _ in range(cases):
        value = rng.choice(TEXTS[:4]) + _fragment(rng) if rng.random() < 0.2 else _fragment(rng)
        text = render_simple(value)
        if text is not None:
            taken += 1
            assert text == render_parsed(value), repr(value)
    # the comparison is not vacuous: most generated fragments are simple
    assert cases * 0.25 < taken < cases * 0.95


@pytest.mark.parametrize(
    "value",
    [
        "<p>a<p>b",  # an implied end
        "<p>a<div>b</div></p>",  # a block closes the paragraph
        "<ul><li>a<li>b</ul>",
        "<li><div><li>x</li></div></li>",
        "<b><p>x</p></b>",
        "<p>a</br>b</p>",
        "<p/>x",
        "</p>x",
        "<p>x</P",
        "<p\xa0class=x>x</p>",  # no-break space is part of the tag's name
        "<!-- c --><p>x</p>",
        "<p>&#1;&#x80;</p>",
        "<p>a\x00b</p>",
        "<p>a\ud800b</p>",
        "<table><tr><td>x</td></tr></table>",
        "<p><hr></p>",
    ],
)
def test_quirks_go_to_the_parser(value: str) -> None:
    assert render_simple(value) is None
    assert html_to_text(value) == render_parsed(value)


def test_simple_fragments_are_rendered() -> None:
    value = "\r\n <p>One &amp; <b class='x > y'>two</b><br/>three</p><ul><li>a</li></ul>a < b &"
    assert render_simple(value) == "\nOne & two\n\nthree\n\n\na\n\na < b &"
    assert render_simple(value) == render_parsed(value)


def test_its_blocks_are_the_renderings_blocks() -> None:
    assert set(BLOCK_TAGS.split(",")) >= BLOCKS | VOID_BREAKS
    assert not INLINE & set(BLOCK_TAGS.split(","))


def test_whitespace_before_the_body_is_dropped_also_when_referenced() -> None:
    for value in [
        "&#32;<b>x</b>",
        " &#32; x<br>",
        "&NewLine;<p>x</p>",
        "&Tab;<b></b>",
        "<b> x</b>",
    ]:
        assert render_simple(value) == render_parsed(value), repr(value)


def test_deep_nesting_and_long_fragments() -> None:
    value = "<section>" * 2_000 + "<li></li>" * 2_000 + "</section>" * 2_000
    text = render_simple(value)
    assert text is not None and text == render_parsed(value)
    assert render_simple("<a " + "x=1 " * 20_000) is None  # longer than MAX_CHARS
    assert render_simple("<a " + 'x="1 ' * 10_000) is None  # an unclosed tag
