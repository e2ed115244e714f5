"""Extraction in supervised worker processes: whatever one document does to its parser — an exception, a native crash
(SIGABRT, SIGSEGV), a hang, memory without bound — costs that document alone, never its batch, the pool or the run.

A pool of long-lived workers (spawned, not forked), each fed one document at a time over a pipe by a supervisor
thread of its own. A worker runs under RLIMIT_AS (the memory limit, its LibreOffice and tesseract included); its
supervisor waits for the answer up to the wall-time limit, then kills it. A worker that died or was killed is replaced
before the next document, and the document gets a typed `Failure` naming the cause. The crawl, `nianbao import`,
`reparse` and `extract` all extract through this pool (pipelines/limits.py has the limits).
"""
from __future__ import annotations

import hashlib
import os
import queue
import resource
import signal
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future
from multiprocessing import get_context
from multiprocessing.connection import Connection

from pipelines import limits as limits_in_force
from pipelines.document import Failure, Report
from pipelines.limits import SETTING, WORKERS, Limits, memory_exceeded

Result = Report | Failure


def _exit_with(parent: int) -> None:
    """Workers end with their parent: a parent killed with SIGKILL cannot stop them, and a worker waiting for work
    would wait for ever."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _serve(conn: Connection, limits: Limits, niceness: int, parent: int) -> None:
    _exit_with(parent)
    # Ctrl-C reaches the whole process group: the supervisor stops its workers; one interrupted mid-document would
    # have that document recorded as crashed.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if niceness:
        os.nice(niceness)
    # Native libraries start a thread (and reserve memory) per core; documents are the parallel units here.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OMP_THREAD_LIMIT"):
        os.environ.setdefault(name, "1")
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = int(limits.memory_mb * 2**20)
    resource.setrlimit(resource.RLIMIT_AS, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard))
    limits_in_force.install(limits)
    from pipelines.extract import extract

    while True:
        try:
            data, source = conn.recv()
        except EOFError:  # the supervisor closed the pool
            return
        try:
            result: Result = extract(data, source)
        except MemoryError:  # outside a reader (extract catches the readers' own)
            result = Failure(source, hashlib.sha256(data).hexdigest(), memory_exceeded(), None, "memory")
        del data
        conn.send(result)


def _failure(data: bytes, source: str, error: str, kind: str) -> Failure:
    from pipelines.sniff import sniff
    return Failure(source, hashlib.sha256(data).hexdigest(), error, sniff(data), kind)


class _Worker:
    def __init__(self, limits: Limits, niceness: int):
        context = get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, limits, niceness, os.getpid()),
                                       name="nianbao-extraction", daemon=True)
        self.process.start()
        child.close()

    def run(self, data: bytes, source: str, seconds: float) -> tuple[Result, bool]:
        """The document's result, and whether this worker can take the next one."""
        try:
            self.conn.send((data, source))
            if self.conn.poll(seconds):
                return self.conn.recv(), True
        except (EOFError, OSError):  # it died: the pipe closed under us
            return _failure(data, source, self._death(), "crashed"), False
        self.kill()
        return _failure(data, source, f"exceeded wall time {seconds:g} s ({SETTING['seconds']})", "timeout"), False

    def _death(self) -> str:
        self.process.join(5)
        code = self.process.exitcode
        if code is None:
            self.kill()
            return "the extraction worker stopped answering"
        self.conn.close()
        if code < 0:
            return f"the extraction worker crashed with signal {-code} ({signal.Signals(-code).name})"
        return f"the extraction worker exited with status {code}"

    def kill(self) -> None:
        if self.process.exitcode is None:
            self.process.kill()
        self.process.join()
        self.conn.close()

    def stop(self) -> None:
        self.conn.close()  # the worker ends when its input does
        self.process.join(5)
        if self.process.exitcode is None:
            self.kill()


class ExtractionPool:
    """`workers` supervised extraction processes under `limits` (by default those of pipelines/limits.py). Call it
    like `pipelines.extract.extract`, or `submit` documents and collect their futures; a result comes back whatever
    happened to its worker."""

    def __init__(self, workers: int = WORKERS, limits: Limits | None = None,
                 niceness: int = 0):
        self.limits = limits or Limits()
        self.niceness = niceness
        self.jobs: queue.Queue[tuple[bytes, str, Future[Result]] | None] = queue.Queue()
        self.supervisors = [threading.Thread(target=self._supervise, name=f"extraction-supervisor-{n}", daemon=True)
                            for n in range(max(1, workers))]
        for thread in self.supervisors:
            thread.start()

    def submit(self, data: bytes, source: str) -> Future[Result]:
        future: Future[Result] = Future()
        self.jobs.put((data, source, future))
        return future

    def __call__(self, data: bytes, source: str) -> Result:
        return self.submit(data, source).result()

    def map(self, documents: Iterable[tuple[bytes, str]]) -> list[Result]:
        """Results in the order given, the documents extracted in parallel."""
        return [future.result() for future in [self.submit(data, source) for data, source in documents]]

    def close(self) -> None:
        for _ in self.supervisors:
            self.jobs.put(None)
        for thread in self.supervisors:
            thread.join()

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _supervise(self) -> None:
        worker: _Worker | None = None
        try:
            while (job := self.jobs.get()) is not None:
                data, source, future = job
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    worker = worker or _Worker(self.limits, self.niceness)
                    result, alive = worker.run(data, source, self.limits.seconds)
                except BaseException as exc:  # the supervisor's own failure (no process to start): the caller's
                    future.set_exception(exc)
                    continue
                if not alive:
                    worker = None
                future.set_result(result)
        finally:
            if worker is not None:
                worker.stop()
