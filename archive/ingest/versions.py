"""Field-level differences between consecutive versions of a report."""
from __future__ import annotations

import re
from typing import Any

from archive.ingest.extracted import Extracted
from archive.ingest.identity import canonical_value, normalise_text
from pipelines.schema import SECTION_KEYS

_SENTENCE_END = re.compile(r"(?<=[。；;！？!?])|\n")
# A diff names the changed sentences, not whole sections: enough to see what was revised without bloating rows.
MAX_SENTENCES = 20


def _sentences(text: str) -> dict[str, str]:
    """Normalised sentence → its first original wording; normalising ignores re-rendering differences."""
    out: dict[str, str] = {}
    for piece in _SENTENCE_END.split(text or ""):
        key = normalise_text(piece)
        if key and key not in out:
            out[key] = piece.strip()
    return out


def diff(old: Extracted, new: Extracted) -> dict[str, Any]:
    """What changed from extraction result `old` to `new`.

    `fields`: every key whose value changed, was added or was removed (blank and 0 differ);
    `sections`: per changed section, the sentences removed and added.
    """
    old_fields, new_fields = old.fields, new.fields
    fields = [
        {"key": key, "old": old_fields.get(key), "new": new_fields.get(key)}
        for key in sorted(set(old_fields) | set(new_fields))
        if canonical_value(old_fields.get(key)) != canonical_value(new_fields.get(key))
    ]
    sections = []
    old_sections, new_sections = old.sections, new.sections
    for key in list(SECTION_KEYS) + sorted((set(old_sections) | set(new_sections)) - set(SECTION_KEYS)):
        before, after = _sentences(old_sections.get(key, "")), _sentences(new_sections.get(key, ""))
        removed = [before[k] for k in before if k not in after]
        added = [after[k] for k in after if k not in before]
        if removed or added:
            sections.append({"section": key, "removed": removed[:MAX_SENTENCES], "added": added[:MAX_SENTENCES]})
    out: dict[str, Any] = {"fields": fields, "sections": sections}
    if old.template != new.template:
        out["template"] = {"old": old.template, "new": new.template}
    return out
