"""Why a request came to nothing: the typed refusals our middlewares raise, and the one rule that turns a failed
request into the run record's error kind.

The middlewares raise `IgnoreRequest` subclasses, so that the kind is read from the exception's type, never from its
message; `classify` is a pure function of what the errback knows.
"""
from __future__ import annotations

from dataclasses import dataclass

from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from twisted.internet.defer import CancelledError

from archive.runs import Failure, http_failure


class Refused(IgnoreRequest):
    """A request one of our middlewares will not let through; `kind` says why (the run record's error kind)."""

    kind = Failure.IGNORED


class RobotsForbidden(Refused):
    kind = Failure.ROBOTS


class HostRefused(Refused):
    """The host guard: a host that is neither a registry host nor an allowed domain, or a private address."""

    kind = Failure.HOST_GUARD


class ChallengeBlocked(Refused):
    """A WAF challenge answered again after its cookie: the site is blocking us."""

    kind = Failure.BLOCKED


class BudgetSpent(Refused):
    """The portal's request budget is spent (`crawler.fetch.budget`)."""

    kind = Failure.BUDGET


# Failures that will not change on a later run: a document failing so is done (crawler.state), not retried.
PERMANENT = frozenset({Failure.ROBOTS, Failure.HOST_GUARD, Failure.TOO_LARGE, http_failure(404), http_failure(410)})
GATEWAY = (502, 503, 504)


@dataclass(frozen=True)
class Verdict:
    kind: str  # a `Failure`, or `http_<status>`
    permanent: bool = False  # a document failing so is done for good
    other_scheme: bool = False  # worth asking on the other scheme (http↔https)


def classify(error: BaseException, status: int | None, entry: bool, document: bool, fallback_tried: bool) -> Verdict:
    """The verdict on a failed request: `error` is the failure's exception, `status` the status of a response the
    HttpError middleware dropped (None otherwise), `entry` whether the request is a portal's entry (depth 0),
    `document` whether it asks for a document, `fallback_tried` whether it is already the other scheme's try."""
    if status is not None:
        # A portal whose entry answers only gateway errors (after retries) is down, as far as anyone can tell.
        kind = Failure.UNREACHABLE if entry and status in GATEWAY else http_failure(status)
    elif isinstance(error, Refused):
        kind = error.kind
    elif isinstance(error, IgnoreRequest):
        kind = Failure.IGNORED
    elif isinstance(error, (DownloadCancelledError, CancelledError)):  # over DOWNLOAD_MAXSIZE
        kind = Failure.TOO_LARGE
    else:
        return Verdict(Failure.UNREACHABLE if entry else Failure.NETWORK,
                       other_scheme=entry and not fallback_tried)
    return Verdict(kind, permanent=document and kind in PERMANENT)
