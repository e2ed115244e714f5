"""Content-shaped lies: WAF challenge pages and soft 404s, recognised before anything is archived.

Both answer with status 200 as often as not, so the status says nothing; what gives them away is a small body
made of a script that sets a cookie and reloads (创宇云防御, 瑞数 412, 加速乐 521), or an error sentence standing
where an article should be.
"""
from __future__ import annotations

import re

# Pages larger than this are real pages that happen to contain a script; challenges are tiny.
_CHALLENGE_MAX = 8_000
_CHALLENGE = re.compile(
    rb"document\.cookie\s*=.{0,4000}?(?:location\.(?:reload|href|replace)|window\.location)|\$_ts\s*=|"
    rb"\xe5\x88\x9b\xe5\xae\x87\xe4\xba\x91\xe9\x98\xb2\xe5\xbe\xa1|__jsl_clearance|yd_cookie|_waf_|"
    rb"\xe5\xae\x89\xe5\x85\xa8\xe9\xaa\x8c\xe8\xaf\x81",  # 创宇云防御, 安全验证 (UTF-8)
    re.DOTALL | re.IGNORECASE)
CHALLENGE_STATUSES = (200, 202, 403, 412, 503, 521)
# A cookie spelled out by the challenge script as ('a')+('b')+…: what a browser would have set.
_SPELLED = re.compile(r"document\.cookie\s*=\s*((?:\(\s*'[^']*'\s*\)\s*\+\s*)+)")
_SOFT_404_MAX = 6_000
_SOFT_404 = re.compile(r"页面不存在|已被删除|找不到(?:该|您要访问的)?页面|页面未找到|访问的页面.{0,6}不存在|"
                       r"404\s*(?:Not\s*Found|错误)|信息已(?:过期|撤销)")


def is_challenge(status: int, body: bytes) -> bool:
    return status in CHALLENGE_STATUSES and len(body) <= _CHALLENGE_MAX and bool(_CHALLENGE.search(body))


def spelled_cookie(body: bytes) -> tuple[str, str] | None:
    """The cookie a challenge script assembles from quoted pieces, as (name, value)."""
    match = _SPELLED.search(body.decode("utf-8", "replace"))
    if not match:
        return None
    text = "".join(re.findall(r"'([^']*)'", match[1]))
    name, sep, value = text.split(";")[0].partition("=")
    return (name.strip(), value.strip()) if sep else None


def is_soft_404(text: str) -> bool:
    """A page answering 200 that says the page does not exist."""
    return len(text) <= _SOFT_404_MAX and bool(_SOFT_404.search(text))
