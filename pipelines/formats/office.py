"""DOC and WPS files: read directly (`word97`) when they use only what that reader covers; otherwise LibreOffice
converts them to DOCX, which the DOCX reader reads.

Starting soffice costs seconds and converting a report a tenth of one, so one headless soffice is kept for the whole
run, driven over UNO by `uno_worker.py` (which needs the `uno` module of Debian's python3-uno, not importable from the
project's venv). Without UNO each file falls back to a one-off `soffice --convert-to`. The soffice uses a private
profile, so it never meets a user's running LibreOffice, and it is stopped when the interpreter exits.

LibreOffice ends with the process that started it, however that ends: the UNO worker watches its parent and, once
it is gone (SIGKILLed, or an extraction worker ended by its own parent watch, neither of which runs `atexit`), kills
soffice and removes the profile. A profile folder is named for its owner's pid, so that the folders of owners gone
without removing theirs (the worker killed with them) are removed when the next converter starts.
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import olefile

from pipelines.document import Document, ExtractionError
from pipelines.formats import docx, word97

DOCX_FILTER = "MS Word 2007 XML"
CONVERSION_TIMEOUT = 60.0
_WORKER_SCRIPT = Path(__file__).with_name("uno_worker.py")
_UNO_PYTHONS = ("/usr/bin/python3", "/usr/lib/libreoffice/program/python", "/opt/libreoffice/program/python")
_SOFFICE_PATHS = ("/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice")
_START_TIMEOUT = 180.0
_PROFILE_PREFIX = "nianbao-lo-"  # then the owner's pid and a dash
_MISSING = "DOC/WPS need LibreOffice (Debian package libreoffice-writer-nogui), not installed"
_FIB_ENCRYPTED = 0x0100  # FibBase.fEncrypted, in the flags word at offset 10 of the WordDocument stream


@functools.cache
def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice") or next(
        (p for p in _SOFFICE_PATHS if os.access(p, os.X_OK)), None
    )


@functools.cache
def _uno_python() -> str | None:
    for python in _UNO_PYTHONS:
        if os.access(python, os.X_OK):
            probe = subprocess.run([python, "-c", "import uno"], env=_clean_env(), capture_output=True)
            if probe.returncode == 0:
                return python
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _remove_stale_profiles() -> None:
    """The profile folders whose owner is gone: killed with its UNO worker, nothing was left to remove them."""
    for profile in Path(tempfile.gettempdir()).glob(f"{_PROFILE_PREFIX}*"):
        owner = profile.name[len(_PROFILE_PREFIX):].partition("-")[0]
        if owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(profile, ignore_errors=True)


def _clean_env() -> dict[str, str]:
    # The venv's Python settings must not leak into the system Python that runs the worker.
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


class _Converter:
    """One long-lived soffice behind a lock; restarted after a crash or a timeout."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._worker: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._profile_dir: Path | None = None
        atexit.register(self.close)
        # A forked child (multiprocessing) must not share the parent's pipe: it starts a worker of its own.
        os.register_at_fork(after_in_child=self._forget)

    @property
    def _profile(self) -> Path:
        """The private LibreOffice profile, made on first use (after removing those of owners gone)."""
        if self._profile_dir is None:
            _remove_stale_profiles()
            self._profile_dir = Path(tempfile.mkdtemp(prefix=f"{_PROFILE_PREFIX}{os.getpid()}-"))
        return self._profile_dir

    def convert(self, src: Path, dst: Path, filter_name: str, timeout: float) -> None:
        soffice = _soffice()
        if soffice is None:
            raise ExtractionError(_MISSING)
        with self._lock:
            if _uno_python() is None:
                self._convert_once(soffice, src, dst, filter_name, timeout)
            else:
                self._convert_by_worker(soffice, src, dst, filter_name, timeout)

    def _convert_by_worker(self, soffice: str, src: Path, dst: Path, filter_name: str, timeout: float) -> None:
        request = json.dumps({"src": str(src), "dst": str(dst), "filter": filter_name}).encode() + b"\n"
        # A soffice that died since the last document (or with this one) gets one fresh start and a second try.
        for attempt in (1, 2):
            worker = self._running_worker(soffice)
            assert worker.stdin is not None
            try:
                worker.stdin.write(request)
                worker.stdin.flush()
            except BrokenPipeError:
                reply: dict[str, Any] | None = {"ok": False, "error": "LibreOffice stopped unexpectedly", "gone": True}
            else:
                reply = self._read_reply(timeout)
            if reply is None:
                self._kill()
                raise ExtractionError(f"LibreOffice did not convert the document within {timeout:.0f} s")
            if reply.get("ok"):
                return
            if reply.get("gone"):
                self._kill()
                if attempt == 1:
                    continue
            raise ExtractionError(f"LibreOffice could not convert the document ({reply.get('error', 'no reason')})")

    def _running_worker(self, soffice: str) -> subprocess.Popen[bytes]:
        if self._worker is not None and self._worker.poll() is None:
            return self._worker
        self._kill()
        python = _uno_python()
        assert python is not None
        self._worker = subprocess.Popen(
            [python, str(_WORKER_SCRIPT), soffice, str(self._profile),
             f"nianbao-{os.getpid()}-{uuid.uuid4().hex}", str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=_clean_env(), start_new_session=True,  # its own process group, so soffice dies with it on kill
        )
        self._buffer = b""
        ready = self._read_reply(_START_TIMEOUT)
        if not ready or not ready.get("ready"):
            self._kill()
            raise ExtractionError("LibreOffice did not start")
        return self._worker

    def _read_reply(self, timeout: float) -> dict[str, Any] | None:
        """The worker's next JSON line, or None when it dies or stays silent past the timeout."""
        assert self._worker is not None and self._worker.stdout is not None
        fd = self._worker.stdout.fileno()
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                    return None
                chunk = os.read(fd, 65536)
                if not chunk:
                    return None
                self._buffer += chunk
            line, self._buffer = self._buffer.split(b"\n", 1)
            try:
                reply: dict[str, Any] = json.loads(line)
                return reply
            except json.JSONDecodeError:
                continue  # something else writing to the worker's output (a library's notice): not a reply

    def _convert_once(self, soffice: str, src: Path, dst: Path, filter_name: str, timeout: float) -> None:
        outdir = src.parent / "out"
        command = [
            soffice, "--headless", "--invisible", "--norestore", "--nologo", "--nolockcheck",
            f"-env:UserInstallation={(self._profile / 'once').as_uri()}",
            "--convert-to", f"{dst.suffix.lstrip('.')}:{filter_name}", "--outdir", str(outdir), str(src),
        ]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_clean_env(),
                                   start_new_session=True)  # its own group: soffice.bin is a grandchild
        try:
            process.wait(timeout=timeout + _START_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise ExtractionError(f"LibreOffice did not convert the document within {timeout:.0f} s") from None
        produced = outdir / (src.stem + dst.suffix)
        if not produced.exists():
            raise ExtractionError("LibreOffice could not convert the document")
        produced.replace(dst)

    def _kill(self) -> None:
        if self._worker is not None:
            if self._worker.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._worker.pid, signal.SIGKILL)
            self._worker.wait()
            for pipe in (self._worker.stdin, self._worker.stdout):
                if pipe is not None:
                    pipe.close()
        self._worker = None

    def _forget(self) -> None:
        if self._worker is not None:
            # The child's copies of the pipe ends: closing them here lets the parent's worker see its input end.
            for pipe in (self._worker.stdin, self._worker.stdout):
                if pipe is not None:
                    pipe.close()
        self._lock = threading.Lock()
        self._worker = None
        self._buffer = b""
        self._profile_dir = None

    def close(self) -> None:
        worker = self._worker
        if worker is not None and worker.poll() is None:
            assert worker.stdin is not None
            worker.stdin.close()  # the worker closes soffice and exits when its input ends
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._kill()
        self._worker = None
        if self._profile_dir is not None:
            shutil.rmtree(self._profile_dir, ignore_errors=True)
            self._profile_dir = None


_converter = _Converter()


def convert(
    data: bytes, suffix: str, target_suffix: str, filter_name: str, timeout: float = CONVERSION_TIMEOUT
) -> bytes:
    """`data` (a file whose type LibreOffice recognises, named with `suffix`) converted with `filter_name`."""
    with tempfile.TemporaryDirectory(prefix="nianbao-convert-") as workdir:
        src = Path(workdir) / f"input{suffix}"
        dst = Path(workdir) / f"output{target_suffix}"
        src.write_bytes(data)
        _converter.convert(src, dst, filter_name, timeout)
        if not dst.exists():
            raise ExtractionError("LibreOffice produced no output")
        return dst.read_bytes()


def _check_word_binary(data: bytes, kind: str) -> None:
    """Refuse what LibreOffice cannot open unattended, with the reason, instead of its generic load error."""
    try:
        with olefile.OleFileIO(data) as ole:
            if not ole.exists("WordDocument"):
                raise ExtractionError(f"{kind} has no WordDocument stream (not a Word-compatible file)")
            fib = ole.openstream("WordDocument").read(12)
    except ExtractionError:
        raise
    except Exception as error:  # olefile fails on damaged containers in every way (even RecursionError)
        raise ExtractionError(f"{kind} is corrupt or truncated ({type(error).__name__}: {error})") from None
    if len(fib) < 12:
        raise ExtractionError(f"{kind} is corrupt or truncated (WordDocument stream too short)")
    if int.from_bytes(fib[10:12], "little") & _FIB_ENCRYPTED:
        raise ExtractionError(f"{kind} is encrypted (password required)")


def _read_word_binary(data: bytes, kind: str) -> Document:
    _check_word_binary(data, kind.upper())
    try:
        return word97.read(data, kind)
    except word97.Unsupported:
        pass  # what the direct reader leaves out: LibreOffice reads it
    # WPS Office saves .wps in the Word 97 binary format, so both are handed over as .doc.
    document = docx.read(convert(data, ".doc", ".docx", DOCX_FILTER))
    document.format = kind
    return document


def read_doc(data: bytes) -> Document:
    return _read_word_binary(data, "doc")


def read_wps(data: bytes) -> Document:
    return _read_word_binary(data, "wps")
