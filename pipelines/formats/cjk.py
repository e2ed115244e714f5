"""Joining the pieces of a line the way Chinese typesetting expects.

Readers see text in pieces: the lines of a table cell, the paragraphs inside a Word cell, the glyph runs of a PDF,
OCR words. Between two CJK characters a line break is only layout ("商业\\n企业" is the label 商业企业), while between
two Latin words or numbers it stands for a space.
"""
from __future__ import annotations

import re
import unicodedata

# Ideographs, CJK punctuation, fullwidth forms and the supplementary ideograph planes.
_WIDE = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff"
_SPACES_BESIDE_WIDE = re.compile(rf"(?<=[{_WIDE}])[ \t]+|[ \t]+(?=[{_WIDE}])")


def is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def join_pair(left: str, right: str) -> str:
    """`left` + `right`, with a space between them only when both edges are narrow (Latin, digits)."""
    if not left or not right:
        return left + right
    if left[-1].isspace() or right[0].isspace() or is_wide(left[-1]) or is_wide(right[0]):
        return left + right
    return f"{left} {right}"


def join_lines(pieces: list[str]) -> str:
    text = ""
    for piece in pieces:
        piece = piece.strip()
        if piece:
            text = join_pair(text, piece)
    return text


def squeeze_wide_spaces(text: str) -> str:
    """Drop the spaces OCR puts between CJK characters ("自 然 人" → "自然人", "申请 12 件" → "申请12件")."""
    return _SPACES_BESIDE_WIDE.sub("", text)
