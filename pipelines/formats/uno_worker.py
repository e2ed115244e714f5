"""LibreOffice conversion worker, run by `pipelines.formats.office` under a Python that has the `uno` module.

Not imported by the project: it runs under Debian's /usr/bin/python3 (python3-uno), which has none of the project's
dependencies, so it uses the standard library and uno only.

    python3 uno_worker.py SOFFICE PROFILE_DIR PIPE_NAME PARENT_PID

starts one headless soffice, prints {"ready": true}, then answers each request line
{"src": path, "dst": path, "filter": "MS Word 2007 XML"} with {"ok": true} or {"ok": false, "error": "…",
"gone": true|false}, "gone" meaning soffice has died and this worker exits.
It exits, closing soffice and removing the profile, when its standard input ends; when its parent (PARENT_PID) is
gone, also in the middle of a conversion, it kills soffice, removes the profile and exits.
"""
import contextlib
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException
from com.sun.star.lang import DisposedException

_START_TIMEOUT = 120  # a first start builds the profile, which takes several seconds on a busy machine
# Documents come from the internet: never run their macros, never refresh their links (no network anyway).
_NEVER_EXECUTE = 0
_NO_UPDATE = 0


def _props(**values: Any) -> tuple[Any, ...]:
    result = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name, prop.Value = name, value
        result.append(prop)
    return tuple(result)


def _reply(**message: Any) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _connect(office: subprocess.Popen[bytes], pipe: str) -> Any:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + _START_TIMEOUT
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        except NoConnectException:
            if office.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _convert(desktop: Any, request: dict[str, str]) -> None:
    load = _props(Hidden=True, ReadOnly=True, MacroExecutionMode=_NEVER_EXECUTE, UpdateDocMode=_NO_UPDATE)
    document = desktop.loadComponentFromURL(uno.systemPathToFileUrl(request["src"]), "_blank", 0, load)
    if document is None:
        raise RuntimeError("LibreOffice could not open the document")
    try:
        store = _props(FilterName=request["filter"], Overwrite=True)
        document.storeToURL(uno.systemPathToFileUrl(request["dst"]), store)
    finally:
        document.close(True)


def _group_but_me() -> Iterator[int]:
    """The other processes of this worker's process group, when the group is its own (its parent starts it so):
    soffice, and the soffice.bin that soffice's launcher forks."""
    me, group = os.getpid(), os.getpgrp()
    if group != me:
        return
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[2]) == group and int(stat.parent.name) != me:
                yield int(stat.parent.name)
        except (OSError, ValueError, IndexError):
            continue  # the process ended meanwhile


def _end_with(parent: int, office: subprocess.Popen[bytes], profile: str) -> None:
    """Watch the parent: a parent killed with SIGKILL cannot stop this worker, and its pipe's end is not seen while a
    conversion runs (UNO calls release the interpreter lock, so this thread runs during one)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        office.kill()
        for pid in _group_but_me():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        office.wait()
        shutil.rmtree(profile, ignore_errors=True)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main() -> None:
    soffice, profile, pipe, parent = sys.argv[1:5]
    office = subprocess.Popen(
        [soffice, "--headless", "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
         f"-env:UserInstallation={pathlib.Path(profile).as_uri()}",
         f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    _end_with(int(parent), office, profile)
    try:
        desktop = _connect(office, pipe)
        _reply(ready=True)
        for line in sys.stdin:
            try:
                _convert(desktop, json.loads(line))
                _reply(ok=True)
            except Exception as error:  # every UNO failure is a per-document answer
                # Unless soffice is gone (crashed, or killed while idle): then the caller needs a new worker.
                gone = isinstance(error, DisposedException) or office.poll() is not None
                _reply(ok=False, error=f"{type(error).__name__}: {getattr(error, 'Message', '') or error}", gone=gone)
                if gone:
                    return
        desktop.terminate()
    finally:
        try:
            office.wait(timeout=10)  # after terminate(), or at once when soffice is gone
        except subprocess.TimeoutExpired:
            office.kill()
            office.wait()
        # The caller removes the profile too, but not if it was killed: then only this worker is left to do it.
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
