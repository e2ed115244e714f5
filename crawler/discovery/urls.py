"""URL shapes: canonical form, what looks like an article or a downloadable file, which host a URL is on.

Pure functions over strings; the spider and the platform parsers decide with them what a link is before any
request is made, so that near-misses, traps and chrome cost nothing.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Session and tracking parameters make endless variants of one URL (domain.md §5 hazards).
_SESSION_PATH = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)
_TRACKING = re.compile(r"^(?:utm_\w+|jsessionid|phpsessid|spm|from|_t|timestamp|random|r)$", re.IGNORECASE)
_DOC_EXT = re.compile(r"\.(pdf|docx?|wps|xlsx?|et|ofd|zip|rar)$", re.IGNORECASE)
_IMAGE_EXT = re.compile(r"\.(png|jpe?g|gif|bmp|tiff?)$", re.IGNORECASE)
# Download handlers of the CMS families: the file's type is not in the URL (Hanweb downfile.jsp, VSB download.jsp).
_DOWNLOAD = re.compile(r"(?:down(?:load|file)[^/]*\.(?:jsp|aspx?|php|do)|/attachment/|/uploadfiles?/|/P0\d{8})",
                       re.IGNORECASE)
# The last path segment of an article: TRS t20240129_1926722.html, Hanweb art_1229_123.html, gkmlpt post_123.html,
# VSB /info/1039/108122.htm, 19-digit snowflakes, 32-hex ids, ASP.NET Pages_183_59307.aspx.
_ARTICLE_SEGMENT = re.compile(
    r"^(?:t\d{8}_\d+|art_\d+_\d+|post_\d+|\d{5,}|[0-9a-f]{24,}\d*|Pages_\d+_\d+|.*\d{6,}.*|content_\d+|doc_[0-9a-f]+)"
    r"\.(?:s?html?|aspx?|jsp|php)$", re.IGNORECASE)
_INDEX_SEGMENT = re.compile(r"^(?:index|default|list)(?:_\d+)?\.\w+$", re.IGNORECASE)
# Articles named by their query: Hanweb's xxgkAnnualReport.jsp?fbtime=YYYY&area=<统一社会信用代码> (one agency's report
# of one year), content.jsp?code=… (domain.md §5).
_QUERY_ARTICLE = {"xxgkannualreport.jsp": "area", "content.jsp": "code"}


def canonical(url: str, base: str | None = None) -> str:
    """Absolute, without fragment, session ids or tracking parameters; scheme and host lower-cased."""
    url = urljoin(base, url.strip()) if base else url.strip()
    url = _SESSION_PATH.sub("", url.replace("&amp;", "&"))
    parts = urlsplit(url)
    query = parts.query
    if query:
        kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _TRACKING.match(k)]
        query = urlencode(kept, safe="/:,%") if kept else ""
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", query, ""))


def host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def other_scheme(url: str) -> str:
    """The same URL on the other scheme (http ↔ https): a portal may answer on one of them only."""
    parts = urlsplit(url)
    return urlunsplit(("http" if parts.scheme == "https" else "https", *parts[1:]))


def last_segment(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[-1]


def is_article(url: str) -> bool:
    segment = last_segment(url)
    if segment.lower() in _QUERY_ARTICLE:
        return bool(dict(parse_qsl(urlsplit(url).query)).get(_QUERY_ARTICLE[segment.lower()]))
    return bool(segment) and not _INDEX_SEGMENT.match(segment) and bool(_ARTICLE_SEGMENT.match(segment))


def is_document_file(url: str) -> bool:
    """A link to a downloadable document (by extension, a file name in the query, or a CMS download handler)."""
    parts = urlsplit(url)
    if _DOC_EXT.search(parts.path) or _DOWNLOAD.search(parts.path):
        return True
    return any(_DOC_EXT.search(v) for _, v in parse_qsl(parts.query))


def is_image(url: str) -> bool:
    return bool(_IMAGE_EXT.search(urlsplit(url).path))


def directory(url: str) -> str:
    """The folder a page sits in: http://h/a/b/index_2.html → http://h/a/b/."""
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def under(url: str, parent: str) -> bool:
    """Whether `url` lies below the column `parent` (a folder, or a VSB column file `a/b.htm` → `a/b/…`)."""
    p = urlsplit(parent)
    u = urlsplit(url)
    if p.netloc != u.netloc or url == parent:
        return False
    stem = p.path.rsplit(".", 1)[0] + "/" if not p.path.endswith("/") and "." in last_segment(parent) else p.path
    if _INDEX_SEGMENT.match(last_segment(parent)):
        stem = p.path.rsplit("/", 1)[0] + "/"
    return u.path.startswith(stem) and u.path != p.path
