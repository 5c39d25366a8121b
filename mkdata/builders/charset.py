"""Decode HTML bytes to text: BOM, valid UTF-8, HTTP header charset, <meta> charset, detection."""

from __future__ import annotations

import codecs
import re

# WHATWG Encoding Standard: labels browsers treat as a superset encoding
_SUPERSETS = {
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "ms_kanji": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)""",
    re.IGNORECASE,
)
PRESCAN_BYTES = 4096


def python_codec(label: str | None) -> str | None:
    """Return the Python codec for a charset label (WHATWG supersets applied), or None."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _SUPERSETS.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "cp1252" if name == "latin-1" else name


def meta_charset(body: bytes) -> str | None:
    """Return the charset a ``<meta>`` tag declares in the first 4 KiB of ``body``, if any."""
    m = _META.search(body, 0, PRESCAN_BYTES)
    return m.group(1).decode("ascii") if m else None


def decode_html(body: bytes, header_charset: str | None = None) -> tuple[str, str]:
    """Decode an HTML document; return ``(text, codec)``.

    Order: a byte-order mark; UTF-8 when the bytes are valid UTF-8 (a legacy page
    is practically never valid UTF-8, while a UTF-8 page mislabelled as Latin-1 is
    common); the HTTP header charset; the ``<meta>`` charset; statistical detection
    (charset-normalizer). A declared charset the bytes do not decode under is
    skipped. The last resort is UTF-8 with replacement characters.
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, "replace"), codec
    declared = [python_codec(header_charset), python_codec(meta_charset(body))]
    wide = next((c for c in declared if c and c.startswith(("utf-16", "utf-32"))), None)
    if wide:
        return body.decode(wide, "replace"), wide
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for codec in declared:
        if codec and codec != "utf-8":
            try:
                return body.decode(codec), codec
            except UnicodeDecodeError:
                continue
    from charset_normalizer import from_bytes

    best = from_bytes(body[: 1 << 20]).best()
    codec = python_codec(best.encoding) if best is not None else None
    if codec:
        return body.decode(codec, "replace"), codec
    return body.decode("utf-8", "replace"), "utf-8"
