"""The national registry's governments of one province, as discovery matches names against them: which division a
link's text, a site's name or a directory entry names (domain.md §8).

Names are matched whole, never by containment: a text is stripped of what decorates a government's name (人民政府,
门户网站, the names of the units above it) and must then be the division's name or its short form (福州市 → 福州).
So 福州市财政局 does not name 福州市 (it names a department of it), and 鼓楼区 names only the 鼓楼区 below the
government whose children are asked for (Fujian has one; China has four).
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from archive.registry.divisions import Division, bundled
from archive.registry.governments import agency_names

LEVELS = ("province", "prefecture", "county", "township")
# What stands around a government's name on its own site or in a link to it.
_DECORATION = re.compile(r"^(?:中国|欢迎访问|欢迎来到)|(?:人民政府|政府)?(?:办公厅|办公室)?"
                         r"(?:门户网站|官方网站|政府网站|网站|官网|政府网|首页|欢迎您)?$")
_GOVERNMENT = re.compile(r"(?:人民政府|政府|办事处)(?:办公厅|办公室)?$")
_PUNCT = re.compile(r"[\s·•・\-—_|｜()（）【】\[\]“”\"'《》]")
_SHORT_SUFFIX = re.compile(r"(?:市|县|区|镇|乡|街道|自治县|自治州|地区|盟|旗|新区|林区|特区)$")


@dataclass(frozen=True, slots=True)
class Government:
    code: str
    name: str  # the division's name: 鼓楼区
    agency: str  # the name its agency publishes under: 福州市鼓楼区人民政府
    level: str
    parent_code: str
    street_office: bool  # a 街道: its agency is an 办事处


def short(name: str) -> str:
    """福州市 → 福州, 鼓楼区 → 鼓楼; a name that would be left with one character is kept whole (城区)."""
    stem = _SHORT_SUFFIX.sub("", name)
    return stem if len(stem) >= 2 else name


def clean(text: str) -> str:
    text = _PUNCT.sub("", text or "")
    previous = None
    while previous != text:
        previous, text = text, _DECORATION.sub("", text)
    return text


class Gazetteer:
    def __init__(self, governments: Iterable[Government]):
        self.by_code = {g.code: g for g in governments}
        self.kids: dict[str, list[Government]] = defaultdict(list)
        for g in self.by_code.values():
            self.kids[g.parent_code].append(g)

    def get(self, code: str) -> Government | None:
        return self.by_code.get(code)

    def children(self, code: str) -> list[Government]:
        return self.kids.get(code, [])

    def ancestors(self, code: str) -> list[Government]:
        out, node = [], self.by_code.get(code)
        while node is not None and node.parent_code in self.by_code:
            node = self.by_code[node.parent_code]
            out.append(node)
        return out

    def bare(self, government: Government, text: str) -> str:
        """`text` without its decorations and the names of the units above `government` in front (福建省福州市鼓楼区
        人民政府门户网站 → 鼓楼区)."""
        text = clean(text)
        for above in self.ancestors(government.code):
            for form in (above.name, short(above.name)):
                if text.startswith(form) and len(text) > len(form):
                    text = text[len(form):]
                    break
        return text

    def names(self, government: Government, text: str) -> bool:
        """Whether `text` names `government` itself (not a department or unit of it)."""
        if not text:
            return False
        if clean(text) == clean(government.agency):
            return True
        bare = self.bare(government, text)
        return bare in (government.name, short(government.name))

    def child_named(self, code: str, text: str) -> Government | None:
        """The one child of government `code` that `text` names, or None (none, or several)."""
        found = [g for g in self.children(code) if self.names(g, text)]
        return found[0] if len(found) == 1 else None

    def unit_named(self, code: str, text: str) -> Government | None:
        """A township of county `code` named by a directory entry (鼓东街道, 鼓楼区鼓东街道办事处, 洪山镇人民政府)."""
        found = [g for g in self.children(code) if g.level == "township" and
                 _GOVERNMENT.sub("", self.bare(g, text)) in (g.name, short(g.name))]
        return found[0] if len(found) == 1 else None

    def owner(self, code: str, text: str) -> Government | None:
        """The government below `code` whose name a unit's name starts with (福州市闽侯县财政局 on 福州市's
        platform → 闽侯县), or None."""
        text = _PUNCT.sub("", text)
        found = [g for g in self.children(code) if g.level != "township" and
                 any(text.startswith(p) for p in (g.agency.removesuffix("人民政府"), g.name))]
        return found[0] if len(found) == 1 else None


def governments(divisions: Iterable[Division], names: dict[str, str]) -> list[Government]:
    return [Government(d.code, d.name, names[d.code], d.level, d.parent_code or "", d.kind != "government")
            for d in divisions if d.publisher]


@cache
def province(code: str) -> Gazetteer:
    """The governments of the province whose code is `code` (350000), from the bundled release."""
    release = bundled()
    names = agency_names(release.divisions)
    prefix = code[:2]
    return Gazetteer(governments((d for d in release.divisions if d.code.startswith(prefix)), names))
