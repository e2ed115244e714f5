"""`nianbao`'s exit statuses and the one exception a command raises for a user's mistake.

0 done; 1 done, but some inputs failed or a threshold was crossed (named above the exit); 2 a usage error (bad
arguments, a file or archive that does not exist, a filter that matches nothing); 3 a damaged archive (and for
`nianbao health`, a webhook that could not be reached); 130 interrupted (Ctrl-C); 141 the reader of the output went
away (`nianbao coverage … | head`), as for any Unix tool killed by SIGPIPE.
"""
from __future__ import annotations

OK = 0
FAILURES = 1
USAGE = 2
INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C
BROKEN_PIPE = 141  # 128 + SIGPIPE


class UserError(Exception):
    """A mistake of the user's: printed as one line (what is wrong and what to do), never as a traceback."""

    def __init__(self, message: str, code: int = USAGE):
        super().__init__(message)
        self.code = code
