"""Conversions through LibreOffice headless, many files per call (starting soffice costs more than converting).

Each call gets its own user profile, so it neither waits for nor disturbs another soffice on the machine, and
calls for different targets can run side by side.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sandbox.reports.normalize import fixed_pdf

# target format → (input extension, soffice --convert-to argument)
TARGETS = {
    "pdf": ("docx", "pdf:writer_pdf_Export"),
    "doc": ("docx", "doc:MS Word 97"),
    "xls": ("xlsx", "xls:MS Excel 97"),
}


class ConversionError(RuntimeError):
    pass


def soffice() -> str:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if not path:
        raise ConversionError("LibreOffice (soffice) is not installed")
    return path


def convert(sources: dict[str, bytes], target: str, timeout: float = 600) -> dict[str, bytes]:
    """Convert each named source (a name without extension → DOCX/XLSX bytes) to `target` in one soffice call."""
    if not sources:
        return {}
    in_ext, convert_to = TARGETS[target]
    with tempfile.TemporaryDirectory(prefix="nianbao-soffice-") as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        paths = []
        for name, data in sources.items():
            path = root / "in" / f"{name}.{in_ext}"
            path.write_bytes(data)
            paths.append(str(path))
        cmd = [soffice(), f"-env:UserInstallation={(root / 'profile').as_uri()}", "--headless", "--norestore",
               "--convert-to", convert_to, "--outdir", str(root / "out"), *paths]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        out = {}
        for name in sources:
            result = root / "out" / f"{name}.{target}"
            if not result.exists():
                raise ConversionError(f"soffice made no {target} of {name}: {done.stderr.strip()[-500:]}")
            data = result.read_bytes()
            out[name] = fixed_pdf(data) if target == "pdf" else data
        return out


def convert_batches(batches: dict[str, dict[str, bytes]]) -> dict[str, dict[str, bytes]]:
    """`convert` for several targets at once (target → sources), one soffice per target, run in parallel."""
    with ThreadPoolExecutor(max_workers=max(1, len(batches))) as pool:
        futures = {target: pool.submit(convert, sources, target) for target, sources in batches.items()}
        return {target: future.result() for target, future in futures.items()}
