"""The 下载 page: the whole corpus's exports and their data dictionary, for download.

The exports are generated on the first request for a file in each state of the archive and kept on disk until the
state moves (the stamp of archive.web.snapshots, plus the registry's and the reports' counts, which the export
reads too); the cache is a folder of its own outside the archive's, since the dashboard may serve an archive it
cannot write. The data dictionary depends on the code alone and is rendered on each request.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path as PathParam, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import Connection, Engine, func, select

from archive.export import dictionary
from archive.export.columns import Export
from archive.export.rows import rows
from archive.export.writers import write
from archive.store.models import T
from archive.web.api import DOWNLOAD_HEADERS
from archive.web.pages import render
from archive.web.snapshots import archive_stamp


@dataclass(frozen=True)
class ExportFile:
    name: str
    fmt: Export
    excel: bool
    media_type: str
    label: str


EXPORT_FILES = (
    ExportFile("reports.csv", Export.CSV, False, "text/csv; charset=utf-8",
               "CSV（UTF-8，无 BOM，LF 换行；不含正文）"),
    ExportFile("reports-excel.csv", Export.CSV, True, "text/csv; charset=utf-8",
               "CSV，供 Excel 打开（UTF-8 BOM，CRLF 换行；不含正文）"),
    ExportFile("reports.jsonl", Export.JSONL, False, "application/x-ndjson; charset=utf-8",
               "JSON Lines（每行一份报告，含正文）"),
    ExportFile("reports.parquet", Export.PARQUET, False, "application/vnd.apache.parquet",
               "Parquet（带类型：日期、可空整数、金额为 decimal；含正文）"),
)
BY_NAME = {f.name: f for f in EXPORT_FILES}
DICTIONARY_TYPES = {"md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8",
                    "json": "application/json"}
ExportName = Literal["reports.csv", "reports-excel.csv", "reports.jsonl", "reports.parquet"]
DictionaryFormat = Literal["md", "csv", "json"]


def export_state(conn: Connection) -> str:
    stamp = (*archive_stamp(conn), *conn.execute(select(
        select(func.count()).select_from(T["reports"]).scalar_subquery(),
        select(func.count()).select_from(T["governments"]).scalar_subquery())).one())
    return hashlib.sha256(repr(stamp).encode()).hexdigest()[:16]


def default_folder(archive_url: str) -> Path:
    return Path(tempfile.gettempdir()) / "nianbao-exports" / hashlib.sha256(archive_url.encode()).hexdigest()[:12]


class BulkExports:
    """The latest exports of one archive, cached on disk by archive state."""

    def __init__(self, engine: Engine, folder: Path):
        self.engine, self.folder = engine, folder
        self._locks = {name: threading.Lock() for name in BY_NAME}

    def state(self) -> str:
        with self.engine.connect() as conn:
            return export_state(conn)

    def cached(self, name: str, state: str) -> Path | None:
        path = self.folder / state / name
        return path if path.is_file() else None

    def file(self, name: str) -> Path:
        """The export `name` of the archive as it is now, generated if this state has none yet."""
        spec = BY_NAME[name]
        with self._locks[name]:  # concurrent first requests wait for one generation
            with self.engine.connect() as conn:
                state = export_state(conn)
                found = self.cached(name, state)
                if found is not None:
                    return found
                target = self.folder / state / name
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(f".{name}.{os.getpid()}.{threading.get_ident()}")
                write(spec.fmt, rows(conn), partial, excel=spec.excel)
            os.replace(partial, target)  # never a half-written file under the final name
        self._drop_other_states(state)
        return target

    def _drop_other_states(self, state: str) -> None:
        for old in self.folder.iterdir():
            if old.is_dir() and old.name != state:
                shutil.rmtree(old, ignore_errors=True)


def bulk_exports(request: Request) -> BulkExports:
    return request.app.state.bulk


Bulk = Annotated[BulkExports, Depends(bulk_exports)]
bulk = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Listed:
    file: ExportFile
    size: int | None  # bytes, when this state's file is generated
    generated: datetime | None


@bulk.get("/downloads", response_class=HTMLResponse)
def downloads_page(exports: Bulk) -> HTMLResponse:
    with exports.engine.connect() as conn:
        state = export_state(conn)
        reports = conn.execute(select(func.count()).select_from(T["reports"])).scalar_one()
    listed = []
    for f in EXPORT_FILES:
        path = exports.cached(f.name, state)
        stat = path.stat() if path else None
        listed.append(Listed(f, stat.st_size if stat else None,
                             datetime.fromtimestamp(stat.st_mtime, UTC) if stat else None))
    return render("downloads.html", files=listed, reports=reports, state=state, columns=len(dictionary.entries()))


@bulk.get("/downloads/data-dictionary.{fmt}")
def download_dictionary(fmt: Annotated[DictionaryFormat, PathParam()]) -> Response:
    return Response(dictionary.render(fmt), media_type=DICTIONARY_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="data-dictionary.{fmt}"', **DOWNLOAD_HEADERS})


# After the dictionary's route: its names are not exports'.
@bulk.get("/downloads/{name}")
def download_export(exports: Bulk, name: Annotated[ExportName, PathParam()]) -> FileResponse:
    return FileResponse(exports.file(name), media_type=BY_NAME[name].media_type, filename=name,
                        content_disposition_type="attachment", headers=DOWNLOAD_HEADERS)
