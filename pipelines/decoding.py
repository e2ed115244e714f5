"""Bytes → text for HTML pages and text renderings whose encoding declarations cannot be trusted.

Government portals serve GBK pages declared as UTF-8 or ISO-8859-1, or with no declaration at all, and Scrapy and
lxml both trust the declaration (lxml even truncates gb2312-declared pages silently). So the order is: BOM → strict
UTF-8 → UTF-8 with a few bad bytes (a truncated character, one stray byte) when the rest reads as common Chinese
(else one bad byte would turn the whole page into GB18030 mojibake) → the declared encoding if it is a CJK one
(gb2312/gbk read as their superset gb18030) → a strict gb18030 decode that reads as common Chinese → charset
detection → a strict gb18030 decode → gb18030 with replacement characters, which never fails and keeps the run
going.
"""
from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_TOLERATED_DAMAGE = 8  # damaged places a UTF-8 page may hold, at most one per 20 of its non-ASCII characters
_REPLACED = re.compile("\ufffd+")
_DECLARED = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_CJK_DECLARATIONS = {
    "gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "big5": "big5hkscs", "big5-hkscs": "big5hkscs",
}


def declared_encoding(data: bytes, header: str | None = None) -> str | None:
    """The charset named by the Content-Type header, else by the document's own <meta>, lower-cased."""
    for source in (header.encode("ascii", "ignore") if header else b"", data[:4096]):
        match = _DECLARED.search(source)
        if match:
            return match.group(1).decode("ascii").lower()
    return None


def decode(data: bytes, header: str | None = None) -> tuple[str, str]:
    """Decode `data`; returns (text, the encoding actually used)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = _nearly_utf8(data)
    if text is not None:
        return text, "utf-8"
    cjk = _CJK_DECLARATIONS.get(declared_encoding(data, header) or "")
    if cjk:
        try:
            return data.decode(cjk), cjk
        except UnicodeDecodeError:
            pass
    # Most of what is left is GBK declared as UTF-8 or Latin-1, or not declared at all. Charset detection costs ~10 ms
    # a page (the largest part of a crawl's decoding), and it only changes the outcome for Big5, whose bytes also read
    # as GBK but land on rare characters: GBK pages of the sandbox crawl are ≥ 99.8 % GB2312 characters, Big5 text
    # read as GBK 16–51 %.
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _common_chinese_share(text) >= 0.95:
        return text, "gb18030"
    # Detection on short Chinese pages sometimes names a single-byte Western codec that "decodes" anything; on a
    # Chinese government page a strict gb18030 decode is the likelier truth, so a non-CJK guess only comes after it.
    best = from_bytes(data[:65536]).best()
    guess = best.encoding if best is not None else None
    candidates = [_CJK_DECLARATIONS[guess]] if guess in _CJK_DECLARATIONS else []
    candidates.append("gb18030")
    if guess and guess not in _CJK_DECLARATIONS:
        candidates.append(guess)
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("gb18030", errors="replace"), "gb18030"


def _nearly_utf8(data: bytes) -> str | None:
    """`data` as UTF-8 with its few damaged places replaced, or None when they are not few.

    Text in another encoding read as UTF-8 fails on most of its non-ASCII characters, and GBK bytes that happen to
    form valid UTF-8 land on rare characters, so "few" is both a count and a share of the page's non-ASCII text,
    and what decoded must read as common Chinese. A damaged place is a run of replacement characters: one stray
    byte inside a character also orphans the character's other bytes."""
    text = data.decode("utf-8", errors="replace")
    damaged = len(_REPLACED.findall(text))
    if "\ufffd".encode("utf-8") in data:  # replacement characters the page itself holds are no damage
        damaged -= len(_REPLACED.findall(data.decode("utf-8", errors="ignore")))
    others = len(text) - len(text.encode("ascii", "ignore"))
    if damaged > _TOLERATED_DAMAGE or damaged * 20 > others:
        return None
    return text if _common_chinese_share(text.replace("\ufffd", "")) >= 0.95 else None


def _common_chinese_share(text: str) -> float:
    """Share of the non-ASCII characters that GB2312 (the 6,763 common hanzi and CJK punctuation) holds."""
    ascii_chars = len(text.encode("ascii", "ignore"))
    others = len(text) - ascii_chars
    # GB2312 spends two bytes on each of its characters and one on ASCII.
    return (len(text.encode("gb2312", "ignore")) - ascii_chars) / 2 / others if others else 1.0
