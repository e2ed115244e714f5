"""The export's columns, defined once: name, type, meaning in Chinese and English, unit, which national form has
them and how 2019 and 2021 fields compare. The writers (archive.export.writers) type their output from these, and
the data dictionary (archive.export.dictionary) is rendered from them.

A column name is its schema key with the dots made underscores (`applications.new_received.total` →
`applications_new_received_total`): lower case, letters, digits and `_`, so SQL, Spark and pandas take it unquoted.
The dictionary's `schema_key` gives the key back; `column_name` and `schema_key` are the mapping both ways.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from archive.export import glossary as en
from pipelines import schema


class Kind(StrEnum):
    """A column's type, which sets its Parquet type and its CSV/JSON rendering."""

    ID = "id"  # int64
    INTEGER = "integer"  # int64, may be null
    COUNT = "count"  # int64 (decimal when a report gave a fraction), null for a blank cell
    AMOUNT = "amount"  # decimal(18, 6)
    TEXT = "text"
    DATE = "date"  # date32; ISO text in CSV and JSONL
    TIMESTAMP = "timestamp"  # UTC, microseconds; "YYYY-MM-DD HH:MM:SS" in CSV and JSONL
    LIST = "list"  # list of text; one cell joined by LIST_SEPARATOR in CSV
    ID_LIST = "id_list"  # list of ids; one cell joined by LIST_SEPARATOR in CSV


class Export(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    PARQUET = "parquet"


ALL_EXPORTS = tuple(Export)
# CSV holds no prose: a section is pages of text with line breaks, which spreadsheets show badly.
NO_CSV = (Export.JSONL, Export.PARQUET)
FORMS = ("2019", "2021")
AMOUNT_SCALE = 6  # 万元 to the yuan's hundredth: values read in 元 are converted and rounded to 6 places

_SQL_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_KEY_IN_TEXT = re.compile(r"\b(?:active|applications)\.[a-z0-9_]+\.[a-z0-9_]+\b")


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    zh: str
    en: str
    unit: str = ""
    forms: str = "2019, 2021"  # which national form's reports fill it
    across_forms: str = ""  # how it compares between a 2019 and a 2021 report
    key: str = ""  # the schema key, for the table fields
    exports: tuple[Export, ...] = ALL_EXPORTS


def column_name(key: str) -> str:
    return key.replace(".", "_")


META: tuple[Column, ...] = (
    Column("report_id", Kind.ID, "年报编号（本档案内稳定；仪表盘 /reports/编号）",
           "report id, stable within this archive (the dashboard's /reports/ID)"),
    Column("version_id", Kind.ID, "现行版本编号", "id of the report's current version (the dashboard's ?version=)"),
    Column("agency_id", Kind.ID, "机关编号", "agency id, stable within this archive (the dashboard's /agencies/ID)"),
    Column("agency", Kind.TEXT, "机关名称", "agency name"),
    Column("level", Kind.TEXT, "层级（central/province/prefecture/county/township/department）",
           "level: central, province, prefecture, county, township or department"),
    Column("kind", Kind.TEXT, "类别（government 政府 / department 部门）",
           "government or department (sets the deadline)"),
    Column("division_code", Kind.TEXT, "行政区划代码（部门取其所属政府的代码）",
           "administrative division code; a department's is its government's"),
    Column("parent_id", Kind.INTEGER, "上级机关编号", "parent agency id"),
    Column("parent", Kind.TEXT, "上级机关名称", "parent agency name"),
    Column("province_name", Kind.TEXT, "所在省级行政区", "province-level unit the agency is in"),
    Column("prefecture_name", Kind.TEXT, "所在地级行政区（直辖市下为空）",
           "prefecture-level unit the agency is in (empty under a municipality)"),
    Column("county_name", Kind.TEXT, "所在县级行政区", "county-level unit the agency is in"),
    Column("year", Kind.INTEGER, "报告年度（所报告的年份，非发布年份）", "year reported on (not the year published)"),
    Column("template", Kind.TEXT, "表格格式（2021 / 2019 / legacy）",
           "national form of the tables: 2021, 2019, or legacy (free outline, no tables)"),
    Column("title", Kind.TEXT, "标题", "title"),
    Column("published", Kind.DATE, "发布日期（见 date_source）", "publication date (see date_source)"),
    Column("date_source", Kind.TEXT, "日期来源：stated 报告所载 / first_seen 首次发现",
           "where the date comes from: stated in the report, or first_seen by the archive"),
    Column("deadline", Kind.DATE, "法定截止日期（第四十九条）", "statutory deadline (Art. 49)"),
    Column("first_seen", Kind.TIMESTAMP, "档案首次发现时间（UTC）", "first seen by the archive (UTC)"),
    Column("status", Kind.TEXT, "发布状态（on_time 按时 / late 逾期 / published_date_unknown 发布日期不明）",
           "publication status: on_time, late or published_date_unknown"),
    Column("days_late", Kind.INTEGER, "逾期天数", "days late", unit="天 (days)"),
    Column("versions", Kind.INTEGER, "版本数", "number of distinct versions seen"),
    Column("failed_checks", Kind.LIST, "未通过的一致性校验（规则@位置：R1–R5、S1–S4）",
           "failed consistency checks, rule@where: the report's own (R1–R5, S3), across years (S1, S2)"),
    Column("copies", Kind.ID_LIST, "内容雷同的报告（规则 S5，按相似度排列的 report_id；线索，不是校验失败）",
           "reports this one reads like (rule S5), their report_id, most similar first: a lead, not a failed check"),
    Column("source_urls", Kind.LIST, "来源网址", "URLs the current version was fetched from"),
    *(Column(f"section_{key}", Kind.TEXT, f"正文：{heading}", f"prose section: {key.replace('_', ' ')}",
             exports=NO_CSV) for key, heading in schema.SECTION_HEADINGS.items()),
)


def _label(label: str | dict[str, str], forms: list[str]) -> str:
    """The national forms' wording; where the two forms word it differently, both."""
    if isinstance(label, str):
        return label
    words = [label[f] for f in sorted(forms, reverse=True)]
    return words[0] if len(set(words)) == 1 else f"{words[0]}（2019：{words[1]}）"


def _unit(col: str) -> str:
    if col in schema.AMOUNT_COLUMNS:
        return "万元 (10,000 yuan)"
    return "项 (items)" if col in ("prev_year_items", "change", "items") else "件 (count)"


def _forms(key: str) -> list[str]:
    return [f for f in FORMS if key in schema.field_keys(f)]


def _across(key: str, forms: list[str]) -> str:
    group, row, col = [*key.split("."), ""][:3]
    if key in en.ACTIVE_ACROSS_FORMS:
        return en.ACTIVE_ACROSS_FORMS[key]
    if group == "applications" and row == "other":
        parts = " + ".join(f"applications.{sub}.{col}" for sub in schema.OTHER_2021)
        return f"2021: the sum {parts}"
    if group == "applications" and row in schema.OTHER_2021:
        return f"2019: part of applications.other.{col} (one row there)"
    if len(forms) == 2:
        return en.SAME_IN_BOTH
    return en.NO_2021_COUNTERPART if forms == ["2019"] else en.NO_2019_COUNTERPART


def _active(row: str, col: str, forms: list[str]) -> tuple[str, str]:
    cell = f"{_label(schema.ACTIVE_ROW_LABELS[row], forms)} × {_label(schema.ACTIVE_COLUMN_LABELS[col], forms)}"
    zh = f"二、主动公开：{cell}"
    return zh, f"proactive disclosure: {en.ACTIVE_ROWS[row]}, {en.ACTIVE_COLUMNS[col]}"


def _application(row: str, col: str) -> tuple[str, str]:
    group = next((label for label, rows in schema.APPLICATION_GROUP_LABELS.values() if row in rows), "")
    applicant = schema.APPLICANT_COLUMN_LABELS[col]
    if col in schema.APPLICANT_SUBCOLUMNS[1:]:
        applicant = f"{schema.ORG}·{applicant}"
    zh = f"三、依申请公开：{group}{schema.APPLICATION_ROW_LABELS[row]} × {applicant}"
    return zh, f"applications: {en.APPLICATION_ROWS[row]}; {en.APPLICANTS[col]}"


def _review(group: str, col: str) -> tuple[str, str]:
    zh = f"四、复议诉讼：{schema.REVIEW_GROUP_LABELS[group]} × {schema.REVIEW_COLUMN_LABELS[col]}"
    return zh, f"{en.REVIEW_GROUPS[group]}: {en.REVIEW_COLUMNS[col]}"


def field_column(key: str) -> Column:
    parts = key.split(".")
    forms = _forms(key)
    if parts[0] == "active":
        zh, gloss = _active(parts[1], parts[2], forms)
    elif parts[0] == "applications":
        zh, gloss = _application(parts[1], parts[2])
    else:
        zh, gloss = _review(parts[0], parts[1])
    col = schema.column_of(key)
    kind = Kind.AMOUNT if col in schema.AMOUNT_COLUMNS else Kind.COUNT
    shown = ", ".join(forms)
    if key.startswith("applications.other."):  # pipelines.mapping: a 2021 table with the 2019 form's （六）
        shown += " (and 2021 reports whose （六）其他处理 is one undivided row)"
    across = _KEY_IN_TEXT.sub(lambda m: column_name(m.group()), _across(key, forms))  # the names a reader sees
    return Column(column_name(key), kind, zh, gloss, _unit(col), shown, across, key)


FIELD_KEYS: tuple[str, ...] = tuple(dict.fromkeys(schema.field_keys("2021") + schema.field_keys("2019")))
FIELDS: tuple[Column, ...] = tuple(field_column(key) for key in FIELD_KEYS)
ALL: tuple[Column, ...] = META + FIELDS
BY_NAME = {c.name: c for c in ALL}


def columns(export: Export) -> tuple[Column, ...]:
    return tuple(c for c in ALL if export in c.exports)


def schema_key(name: str) -> str:
    """The schema key of a field column (`applications_new_received_total` → `applications.new_received.total`)."""
    return BY_NAME[name].key


def _check_names() -> None:
    names = [c.name for c in ALL]
    if len(set(names)) != len(names) or not all(_SQL_NAME.match(n) for n in names):
        raise ValueError("export column names must be unique SQL identifiers")


_check_names()
