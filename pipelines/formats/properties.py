"""Document-property titles (PDF /Title, Office core properties) worth passing on as a title hint.

Authoring tools fill the title property with placeholders: the file name, "Microsoft Word - 文档1.docx", the
template's name, "无标题". Those say nothing about the report and must not compete with the title in the text.
"""
from __future__ import annotations

import re

_PLACEHOLDER = re.compile(
    r"^(?:microsoft\s+(?:word|excel)\s*-.*|untitled.*|无标题.*|新建.*|文档\d*|document\d*|title|标题|"
    r"sheet\d*|book\d*|工作簿\d*|powerpoint.*|wps.*|.*\.(?:docx?|wps|xlsx?|et|pdf|ofd|tmp|html?))$",
    re.IGNORECASE,
)


def meaningful_title(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    title = " ".join(value.split())
    if len(title) < 4 or _PLACEHOLDER.match(title) or not any(ch.isalpha() for ch in title):
        return None
    return title
