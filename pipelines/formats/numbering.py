"""Word list numbering: the "一、", "（一）", "1." that Word draws before auto-numbered paragraphs.

The numbers are not in the document text; Word computes them when it displays the document, from numbering.xml
(the formats of each list level) and styles.xml (heading styles bound to a list). Section headings numbered this
way would otherwise lose the "一、" that finds them (domain.md §2: "Word auto-numbering").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

_LEVELS = 9
_CHINESE_DIGITS = "零一二三四五六七八九"
_LEGAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_HEAVENLY_STEMS = "甲乙丙丁戊己庚辛壬癸"
_PLACEHOLDER = re.compile(r"%([1-9])")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


@dataclass(frozen=True)
class _Level:
    start: int
    format: str
    text: str
    style: str | None  # a paragraph style bound to this level (headings)


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _chinese(n: int, digits: str = _CHINESE_DIGITS) -> str:
    ten = "十" if digits is _CHINESE_DIGITS else "拾"
    if not 0 < n < 100:
        return str(n)
    tens, units = divmod(n, 10)
    if tens == 0:
        return digits[units]
    return ("" if tens == 1 else digits[tens]) + ten + (digits[units] if units else "")


def _roman(n: int) -> str:
    out = ""
    for value, numeral in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                           (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        count, n = divmod(n, value)
        out += numeral * count
    return out


def _letters(n: int) -> str:
    # Word repeats the letter: A … Z, AA … ZZ, AAA …
    return chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else str(n)


def format_number(n: int, number_format: str) -> str:
    if number_format in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting"):
        return _chinese(n)
    if number_format in ("chineseLegalSimplified", "ideographLegalTraditional"):
        return _chinese(n, _LEGAL_DIGITS)
    if number_format == "ideographTraditional":
        return _HEAVENLY_STEMS[(n - 1) % 10]
    if number_format in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if number_format in ("decimalFullWidth", "decimalFullWidth2"):
        return "".join(chr(ord(d) + 0xFEE0) for d in str(n))
    if number_format == "decimalZero":
        return f"{n:02d}"
    if number_format in ("upperRoman", "lowerRoman"):
        roman = _roman(n)
        return roman if number_format == "upperRoman" else roman.lower()
    if number_format in ("upperLetter", "lowerLetter"):
        letters = _letters(n)
        return letters if number_format == "upperLetter" else letters.lower()
    if number_format in ("bullet", "none"):
        return ""
    return str(n)


class Numbering:
    """Counts list items in reading order; `label(p)` is the number Word shows before paragraph `p`."""

    def __init__(self, w: str, numbering_xml: bytes | None, styles_xml: bytes | None) -> None:
        self.w = w
        self.abstracts: dict[str, dict[int, _Level]] = {}
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}  # numId → (abstractNumId, restarted levels' starts)
        self.styles: dict[str, tuple[str | None, int | None, str | None]] = {}  # id → (numId, ilvl, basedOn)
        self.counters: dict[str, list[int | None]] = {}
        # Parsed when first needed: most reports number nothing, and Word's styles part runs to hundreds of KB.
        self._numbering_xml = numbering_xml
        self._styles_xml = styles_xml if styles_xml and b"numPr" in styles_xml else None
        self.warnings: list[str] = []

    def _parse(self, xml: bytes, part: str) -> etree._Element | None:
        try:
            return etree.fromstring(xml, _PARSER)
        except etree.XMLSyntaxError:
            self.warnings.append(f"DOCX {part} part damaged: automatic list numbers left out")
            return None

    def _val(self, element: etree._Element | None, path: str) -> str | None:
        found = None if element is None else element.find(path)
        return None if found is None else found.get(self.w + "val")

    def _read_numbering(self, root: etree._Element) -> None:
        w = self.w
        for abstract in root.iter(w + "abstractNum"):
            levels = {}
            for level in abstract.iter(w + "lvl"):
                levels[_int(level.get(w + "ilvl"), 0)] = _Level(
                    _int(self._val(level, w + "start"), 1), self._val(level, w + "numFmt") or "decimal",
                    self._val(level, w + "lvlText") or "", self._val(level, w + "pStyle"),
                )
            self.abstracts[abstract.get(w + "abstractNumId", "")] = levels
        for num in root.iter(w + "num"):
            restarts = {
                _int(override.get(w + "ilvl"), 0): _int(self._val(override, w + "startOverride"), 1)
                for override in num.iter(w + "lvlOverride") if self._val(override, w + "startOverride") is not None
            }
            self.nums[num.get(w + "numId", "")] = (self._val(num, w + "abstractNumId") or "", restarts)

    def _read_styles(self, root: etree._Element) -> None:
        w = self.w
        for style in root.iter(w + "style"):
            props = style.find(f"{w}pPr/{w}numPr")
            ilvl = self._val(props, w + "ilvl")
            self.styles[style.get(w + "styleId", "")] = (
                self._val(props, w + "numId"), _int(ilvl, 0) if ilvl is not None else None,
                self._val(style, w + "basedOn"),
            )

    def _from_style(self, style: str | None) -> tuple[str | None, int | None]:
        if style is None:
            return None, None
        if self._styles_xml is not None:
            root = self._parse(self._styles_xml, "styles")
            self._styles_xml = None
            if root is not None:
                self._read_styles(root)
        for _ in range(10):  # basedOn chains are short; a cycle must not hang the reader
            if style is None or style not in self.styles:
                break
            num_id, ilvl, based_on = self.styles[style]
            if num_id is not None:
                return num_id, ilvl
            style = based_on
        return None, None

    def label(self, p: etree._Element) -> str:
        w = self.w
        props = p.find(w + "pPr")
        style = self._val(props, w + "pStyle")
        num_id = self._val(props, f"{w}numPr/{w}numId")
        ilvl_text = self._val(props, f"{w}numPr/{w}ilvl")
        ilvl = _int(ilvl_text, 0) if ilvl_text is not None else None
        if num_id is None:
            num_id, style_ilvl = self._from_style(style)
            ilvl = ilvl if ilvl is not None else style_ilvl
        if num_id is None:
            return ""
        if self._numbering_xml is not None:
            root = self._parse(self._numbering_xml, "numbering")
            self._numbering_xml = None
            if root is not None:
                self._read_numbering(root)
        if num_id not in self.nums:
            return ""  # numId 0 (numbering switched off) is never defined
        abstract_id, restarts = self.nums[num_id]
        levels = self.abstracts.get(abstract_id, {})
        if ilvl is None:
            ilvl = next((n for n, level in levels.items() if style and level.style == style), 0)
        if ilvl not in levels:
            return ""
        # A list instance that restarts a level counts on its own; the others share their abstract list's count.
        key = num_id if restarts else abstract_id
        counters = self.counters.setdefault(key, [None] * _LEVELS)
        start = restarts.get(ilvl, levels[ilvl].start)
        current = counters[ilvl]
        counters[ilvl] = start if current is None else current + 1
        for deeper in range(ilvl + 1, _LEVELS):
            counters[deeper] = None

        def number(match: re.Match[str]) -> str:
            n = int(match.group(1)) - 1
            level = levels.get(n)
            if level is None:
                return ""
            count = counters[n]
            return format_number(count if count is not None else level.start, level.format)

        return "" if levels[ilvl].format == "bullet" else _PLACEHOLDER.sub(number, levels[ilvl].text)
