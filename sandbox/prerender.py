"""Prerendering: every article body, table picture and XLSX attachment of a world made before the server answers,
into the document cache, whose files the server then reads instead of drawing them (`DocumentStore.adopt`).

Real portals serve files that exist before anyone asks; a crawl benchmark must not pay for the sandbox's drawing on
the cores the crawler under test needs. The work is shared by one worker process per core (`python -m
sandbox.prerender ROOT`), each given its share as a pickle on stdin; it prints each rendering's file as it is done,
which is both the result and the progress.
"""
from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from sandbox.documents import DRAWN, DocumentStore, Rendering, ReportRef, child


def prerender(store: DocumentStore, renderings: Iterable[Rendering], processes: int | None = None,
              progress: Callable[[int, int], None] | None = None) -> None:
    """Make every rendering now and have `store` serve it from its file: the slow formats in the store's usual
    background batch, the others by `processes` workers (default: one per core). Files an earlier run left in the
    cache directory are kept; other renderer versions' are deleted. `progress(done, total)` is told as it goes."""
    store.prune()
    renderings = list(dict.fromkeys(renderings))
    slow = store.prewarm((ref, fmt) for ref, fmt, _ in renderings if fmt not in DRAWN)
    reports: dict[ReportRef, list[Rendering]] = {}  # one worker makes all of a report: its spec is worked out once
    for rendering in renderings:
        if rendering[1] in DRAWN:
            reports.setdefault(rendering[0], []).append(rendering)
    groups, n = list(reports.values()), processes or os.cpu_count() or 1
    shares = [share for k in range(n) if (share := [r for group in groups[k::n] for r in group])]
    store.adopt(_made(store.root, shares, progress))
    if slow:
        slow.result()


def _made(root: Path, shares: list[list[Rendering]], progress: Callable[[int, int], None] | None) -> dict:
    """Each rendering's file, the shares made side by side by one worker each."""
    command, env = child("sandbox.prerender")
    files: list[list[str]] = [[] for _ in shares]

    def run(worker: subprocess.Popen[bytes], share: list[Rendering], out: list[str]) -> None:
        assert worker.stdin is not None and worker.stdout is not None  # both opened with PIPE below
        with contextlib.suppress(BrokenPipeError):  # a worker that died: its exit status tells
            worker.stdin.write(pickle.dumps(share))
            worker.stdin.close()
        out.extend(line.decode().rstrip("\n") for line in worker.stdout)
        worker.wait()

    with contextlib.ExitStack() as stack:
        errors = [stack.enter_context(tempfile.TemporaryFile()) for _ in shares]
        workers = [subprocess.Popen([*command, str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=error, env=env) for error in errors]
        threads = [threading.Thread(target=run, args=job, daemon=True) for job in zip(workers, shares, files)]
        for thread in threads:
            thread.start()
        while True:
            running = any(thread.is_alive() for thread in threads)
            if progress:
                progress(sum(map(len, files)), sum(map(len, shares)))
            if not running:
                break
            time.sleep(0.5)
        for worker, error in zip(workers, errors):
            if worker.returncode:
                error.seek(0)
                raise RuntimeError(f"prerendering failed: {error.read().decode(errors='replace')[-800:]}")
    return {rendering: file for share, out in zip(shares, files) for rendering, file in zip(share, out)}


def main() -> None:
    """A worker: make each rendering of the list on stdin, printing its file once it is there."""
    store = DocumentStore(Path(sys.argv[1]))
    for ref, fmt, variant in pickle.load(sys.stdin.buffer):
        print(store.make(ref, fmt, variant), flush=True)


if __name__ == "__main__":
    main()
