"""A synthetic archive for archive tests and the benchmarks: extraction results with real field keys and varied
prose, the captures that bring them and an ingestor that takes them as they are."""
from __future__ import annotations

import copy
import hashlib
import random
from datetime import datetime, timedelta

from archive.ingest.ingestor import Capture, Ingestor
from archive.store.db import Archive
from pipelines.document import Check, Report
from pipelines.schema import SECTION_KEYS, field_keys

PARSER = "test-1"
T0 = datetime(2024, 1, 10, 8, 0, 0)

# Prose mixing shared template clauses with text of its own, so that different agencies' texts overlap about as
# much as real reports do (the seeds: Jaccard ≈ 0.02–0.03).
_CLAUSES = (
    "坚持以习近平新时代中国特色社会主义思想为指导", "认真贯彻落实政府信息公开条例", "围绕中心工作", "持续深化政务公开",
    "加强政策解读和回应关切", "完善依申请公开办理机制", "推进基层政务公开标准化规范化", "优化政府网站信息公开专栏",
    "强化公开平台建设", "加强监督保障", "规范信息发布审核流程", "做好重点领域信息公开", "及时更新法定主动公开内容",
    "积极回应社会关切", "提升公开工作质效", "健全工作机制", "加强业务培训", "公开意识有待进一步增强",
    "信息更新不够及时", "解读形式较为单一", "深入推进决策公开", "扎实做好执行和结果公开", "着力提升服务水平",
)


def prose(seed: str, sentences: int = 24) -> dict[str, str]:
    rng = random.Random(seed)
    sections = {}
    for key in SECTION_KEYS:
        parts = []
        for _ in range(sentences if key in ("overview", "problems") else 3):
            own = "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(24))
            parts.append(f"{rng.choice(_CLAUSES)}，{own}，全年办理{rng.randint(1, 999)}件事项。")
        sections[key] = "\n".join(parts)
    return sections


def fields(seed: str, template: str = "2021") -> dict[str, int | float | None]:
    rng = random.Random(seed + "fields")
    out: dict[str, int | float | None] = {}
    for key in field_keys(template):
        roll = rng.random()
        out[key] = None if roll < 0.1 else 0 if roll < 0.5 else rng.randint(1, 300)
    return out


def report(agency: str, year: int, seed: str | None = None, published: str | None = None, fmt: str = "html",
           template: str = "2021", **overrides) -> Report:
    """A report whose content is a pure function of (agency, year, seed)."""
    seed = seed or f"{agency}{year}"
    r = Report(
        source=f"synthetic:{seed}", sha256="", format=fmt, is_report=True, agency=agency, year=year,
        template=template, title=f"{agency}{year}年政府信息公开工作年度报告", published=published,
        sections=prose(seed), fields=fields(seed, template),
        checks=[Check("R1", True, "applications.*.total", "ok")],
    )
    for key, value in overrides.items():
        setattr(r, key, value)
    return r


def body(r: Report, stamp: str = "") -> bytes:
    """Bytes standing for a rendering of `r`; `stamp` makes new bytes of the same content (a re-stamped file)."""
    text = f"{r.format}|{r.agency}|{r.year}|{sorted(r.fields.items())}|{sorted(r.sections.items())}|{stamp}"
    return text.encode("utf-8")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def spreadsheet(r: Report) -> Report:
    """The report's tables alone, as an XLS/XLSX rendering gives them (a header cell read as a line of prose)."""
    sheet = copy.deepcopy(r)
    sheet.format = "xlsx"
    sheet.sections = {"active": "第二十条第（一）项"}
    return sheet


def no_extractor(data: bytes, source: str):
    raise AssertionError("these tests hand the extraction result to ingest")


def ingestor(archive: Archive, run_id: str = "run-1") -> Ingestor:
    return Ingestor(archive, run_id, extractor=no_extractor, parser_version=PARSER)


def capture(url: str, minutes: int = 0, run_id: str = "run-1", **kw) -> Capture:
    return Capture(requested_url=url, fetched_at=T0 + timedelta(minutes=minutes), run_id=run_id, **kw)
