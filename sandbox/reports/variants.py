"""Varied report specs from a base spec: other agencies and years, both templates (2019-format laggards
included), the label and value quirks of real reports, and deliberately broken arithmetic.

Deterministic: the same base and `Plan` always give the same spec. The values are ground truth by construction —
the generator decides each number first and prints it second — so an injected error is known exactly.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from pipelines.schema import (
    APPLICANT_SUBCOLUMNS,
    RESULT_LEAVES,
    SECTION_HEADINGS,
    active_keys,
    column_of,
    field_keys,
    review_keys,
)
from sandbox.reports.labels import apply_quirks
from sandbox.reports.numbers import active_numbers, application_numbers, review_numbers
from sandbox.reports.spec import ReportSpec, Value

COUNTIES = ("岚皋县", "泽州县", "盐池县", "临淄区", "汉阳区", "浑南区", "兴仁市", "仙居县", "镇康县", "秦安县",
            "保康县", "来凤县", "姚安县", "鹤庆县", "永嘉县", "清新区", "越城区", "九龙坡区")
DEPARTMENTS = ("行政审批服务局", "农业农村局", "自然资源局", "市场监督管理局", "人力资源和社会保障局", "卫生健康局",
               "交通运输局", "住房和城乡建设局", "教育局", "民政局", "司法局", "应急管理局", "统计局", "财政局",
               "水利局", "文化和旅游局")
TOWNSHIPS = ("城关镇人民政府", "下各镇人民政府", "溪下乡人民政府", "木场乡人民政府", "兴国镇人民政府",
             "东湖街道办事处", "二郎街道办事处")
TITLE_PATTERNS = ("{agency}{year}年政府信息公开工作年度报告", "{agency}{year}年度政府信息公开工作年度报告",
                  "{year}年{agency}政府信息公开工作年度报告", "{agency}政府信息公开工作{year}年度报告")
HEADING_STYLES = ("national", "numbered", "markdown", "long")
RULES = ("R1", "R2", "R3", "R4")
# A rule whose operands a value quirk blanks cannot be evaluated, so it cannot be recorded as broken.
_UNCHECKABLE = {("R3", "totals_only"), ("R4", "review_blank")}


@dataclass(frozen=True)
class Plan:
    seed: int
    template: str = "2021"
    year: int | None = None  # default: a year the template was in force for
    label_quirks: tuple[str, ...] = ()  # names in labels.QUIRKS
    value_quirks: tuple[str, ...] = ()  # names in VALUE_QUIRKS
    break_rule: str | None = None  # R1 | R2 | R3 | R4: the one rule the numbers violate
    headings: str = "national"  # one of HEADING_STYLES
    cover_letter: bool = False
    year_in_title: bool = True  # if not, only the preamble's 统计期限 states the year
    busy: bool = False  # applications and review cases in every column (also implied by a broken rule)


# --- cells ------------------------------------------------------------------------------------------------------

def cell_text(key: str, value: Value, template: str) -> str:
    """How a value is normally printed: signed changes, 2019 procurement amounts with their unit."""
    if value is None:
        return ""
    col = column_of(key)
    if col == "change":
        return f"{value:+d}" if value else "0"
    if col == "amount_10k_yuan" and template == "2019" and value:
        return f"{value:.2f}万元"
    return str(value)


Cells = dict[str, str]
Values = dict[str, Value]


def _number(values: Values, key: str) -> int | float:
    """The number at `key`: the edits below change only numbers that no quirk blanks (break_rule runs first)."""
    value = values[key]
    if value is None:
        raise ValueError(f"{key} is blank: no number to change")
    return value


def _set(cells: Cells, values: Values, keys: list[str], text: str, value: Value = None) -> None:
    for key in keys:
        cells[key], values[key] = text, value


def _na_slash(cells: Cells, values: Values, rng: random.Random, template: str) -> None:
    _set(cells, values, [k for k in active_keys(template) if ".regulations." in k], "/")


def _na_dash(cells: Cells, values: Values, rng: random.Random, template: str) -> None:
    _set(cells, values, [k for k in active_keys(template) if ".punishment." in k or ".coercion." in k], "—")


def _na_text(cells: Cells, values: Values, rng: random.Random, template: str) -> None:
    _set(cells, values, [k for k in active_keys(template) if ".fees." in k], "不适用")


def _totals_only(cells: Cells, values: Values, rng: random.Random, template: str) -> None:
    # Some agencies fill only the 总计 column; the others are blank, which is not 0.
    _set(cells, values, [k for k in field_keys(template) if k.startswith("applications.")
                         and column_of(k) in APPLICANT_SUBCOLUMNS], "")


def _review_blank(cells: Cells, values: Values, rng: random.Random, template: str) -> None:
    _set(cells, values, [k for k in review_keys() if values[k] == 0], "")


def _thousands(cells: Cells, values: Values, rng: random.Random, template: str) -> None:
    key = "active.licensing.decisions"
    if _number(values, key) < 1000:
        values[key] = rng.randint(1000, 30000)
    cells[key] = f"{values[key]:,}"


def _fee_decimal(cells: Cells, values: Values, rng: random.Random, template: str) -> None:
    if template != "2021":
        raise ValueError("fee_decimal: the 2019 format has no fee amount")
    key = "active.fees.amount_10k_yuan"
    values[key] = round(rng.uniform(1000, 30000), 1)
    cells[key] = str(values[key])


def _amount_yuan(cells: Cells, values: Values, rng: random.Random, template: str) -> None:
    if template != "2019":
        raise ValueError("amount_yuan: only the 2019 format has procurement amounts")
    yuan = rng.randint(10, 5000) * 100
    values["active.procurement.items"] = values["active.procurement.items"] or rng.randint(1, 8)
    cells["active.procurement.items"] = str(values["active.procurement.items"])
    values["active.procurement.amount_10k_yuan"] = round(yuan / 10000, 4)
    cells["active.procurement.amount_10k_yuan"] = f"{yuan}元"


VALUE_QUIRKS = {"na_slash": _na_slash, "na_dash": _na_dash, "na_text": _na_text, "totals_only": _totals_only,
                "review_blank": _review_blank, "thousands": _thousands, "fee_decimal": _fee_decimal,
                "amount_yuan": _amount_yuan}


# --- injected errors: each breaks exactly one rule ----------------------------------------------------------------

def break_rule(values: Values, rule: str, template: str, rng: random.Random) -> None:
    np = "natural_person"
    a = lambda row, col: f"applications.{row}.{col}"  # noqa: E731

    def add(key: str, n: int) -> None:
        values[key] = _number(values, key) + n

    d = rng.randint(1, 3)
    if rule == "R1":  # more received than handled; the row total follows, so R3 holds
        add(a("new_received", np), d)
        add(a("new_received", "total"), d)
    elif rule == "R2":  # a result counted that （七）总计 does not include; the row total follows
        add(a("granted", np), d)
        add(a("granted", "total"), d)
    elif rule == "R3":  # one case moved between results in one column: columns still add up, two rows do not
        leaves = RESULT_LEAVES[template]
        src = max(leaves, key=lambda leaf: _number(values, a(leaf, np)))
        dst = next(leaf for leaf in leaves if leaf != src)
        add(a(src, np), -1)
        add(a(dst, np), 1)
    elif rule == "R4":
        add("review.upheld", 1)
    else:
        raise ValueError(f"unknown rule {rule!r}")


# --- prose ------------------------------------------------------------------------------------------------------

def _overview(rng: random.Random, agency: str, year: int, values: Values, cells: Cells) -> list[str]:
    new, carried = cells["applications.new_received.total"], cells["applications.carried_over.total"]
    done, forward = cells["applications.total_processed.total"], cells["applications.carried_forward.total"]
    published = rng.randint(80, 900)
    opener = rng.choice([
        (f"{year}年，{agency}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国政府信息公开条例》，"
         "围绕中心工作，持续深化政务公开，不断提升政府信息公开质量和实效。"),
        (f"{year}年，在县委、县政府的正确领导下，{agency}严格落实政务公开各项工作要求，坚持“以公开为常态、不公开为例外”，"
         "扎实推进政府信息公开工作。"),
    ])
    docs = cells.get("active.normative_docs.issued", cells.get("active.normative_docs.new_published"))
    active = (f"（一）主动公开情况。{year}年，通过政府门户网站、政务新媒体等渠道主动公开政府信息{published}条，"
              f"其中工作动态{published // 3}条、规范性文件{docs}件，"
              f"公开行政许可决定{cells['active.licensing.decisions']}件。")
    if new in ("0", ""):
        requests = "（二）依申请公开情况。本年度未收到政府信息公开申请。"
    else:
        requests = (f"（二）依申请公开情况。{year}年共收到政府信息公开申请{new}件，上年结转{carried}件，"
                    f"办结{done}件，结转下年度继续办理{forward}件。")
    if values.get("review.total"):
        requests += f"因政府信息公开工作被申请行政复议{cells['review.total']}件。"
    return [opener, active, requests,
            "（三）政府信息管理情况。严格落实信息发布“三审三校”制度，加强保密审查，动态更新政府信息公开指南和目录。",
            "（四）政府信息公开平台建设情况。依托政府门户网站政府信息公开专栏，及时维护栏目内容，发挥政务新媒体作用。",
            "（五）监督保障情况。调整政务公开工作领导小组，明确专人负责，将政府信息公开工作纳入年度考核。"]


def _preamble(agency: str, year: int) -> list[str]:
    return [(f"本报告根据《中华人民共和国政府信息公开条例》和《国务院办公厅政府信息与政务公开办公室关于印发"
             "〈中华人民共和国政府信息公开工作年度报告格式〉的通知》要求编制。"
             f"本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"
             f"如对本报告有疑问，请与{agency}办公室联系。")]


def _headings(style: str) -> dict[str, str]:
    headings = dict(SECTION_HEADINGS)
    if style == "numbered":  # Word auto-numbering copied as text
        headings["overview"] = "1、 总体情况"
    elif style == "markdown":
        headings = {k: "## " + v for k, v in headings.items()}
    elif style == "long":
        headings["review_litigation"] = "四、因政府信息公开工作被申请行政复议和提起行政诉讼情况"
        headings["problems"] = "五、政府信息公开工作存在的主要问题及改进情况"
    return headings


def _cover_letter(rng: random.Random, agency: str, year: int) -> str:
    superior = "县人民政府办公室" if "县" in agency else "区人民政府办公室"
    return (f"{agency}\n关于报送{year}年政府信息公开工作年度报告的函\n\n{superior}：\n"
            f"现将我单位《{year}年政府信息公开工作年度报告》报送你处，请审阅。\n\n\n{agency}\n"
            f"{year + 1}年1月{rng.randint(5, 20)}日")


def _agency(rng: random.Random) -> str:
    county, kind = rng.choice(COUNTIES), rng.random()
    if kind < 0.7:
        return county + rng.choice(DEPARTMENTS)
    return county + rng.choice(TOWNSHIPS) if kind < 0.9 else county + "人民政府"


def _published(rng: random.Random, agency: str, year: int) -> str:
    # Art. 49: departments by 31 January, governments by 31 March; townships follow local deadlines.
    if agency.endswith(("县人民政府", "区人民政府", "市人民政府")):
        return f"{year + 1}-03-{rng.randint(10, 31):02d}"
    if agency.endswith(("人民政府", "办事处")):
        return f"{year + 1}-{rng.choice([1, 2]):02d}-{rng.randint(10, 28):02d}"
    return f"{year + 1}-01-{rng.randint(5, 31):02d}"


# --- the variant ------------------------------------------------------------------------------------------------

def variant(base: ReportSpec, plan: Plan) -> ReportSpec:
    rng = random.Random(plan.seed)
    template = plan.template
    year = plan.year or rng.choice([2021, 2022, 2023, 2024] if template == "2021" else [2019, 2020])
    agency = _agency(rng)
    values: Values = {**active_numbers(rng, template),
                      **application_numbers(rng, template, busy=plan.busy or plan.break_rule in ("R1", "R2", "R3")),
                      **review_numbers(rng, busy=plan.busy or plan.break_rule == "R4")}
    if plan.break_rule:
        break_rule(values, plan.break_rule, template, rng)
    values = {k: values[k] for k in field_keys(template)}
    cells = {k: cell_text(k, v, template) for k, v in values.items()}
    # A quirk that would blank the cells of the broken rule is skipped: the error must stay detectable.
    value_quirks = [q for q in plan.value_quirks if (plan.break_rule, q) not in _UNCHECKABLE]
    for name in value_quirks:
        VALUE_QUIRKS[name](cells, values, rng, template)

    title = rng.choice(TITLE_PATTERNS if plan.year_in_title else ("{agency}政府信息公开工作年度报告",))
    swap = lambda text: text.replace(base.agency, agency).replace(f"{base.year}年", f"{year}年")  # noqa: E731
    spec = ReportSpec(
        agency=agency, year=year, template=template, title=title.format(agency=agency, year=year),
        published=_published(rng, agency, year),
        cover_letter=_cover_letter(rng, agency, year) if plan.cover_letter else None,
        preamble=_preamble(agency, year) if not plan.year_in_title or rng.random() < 0.6 else [],
        headings=_headings(plan.headings),
        sections={"overview": _overview(rng, agency, year, values, cells),
                  "problems": [swap(p) for p in base.sections.get("problems", [])] or ["无。"],
                  "other": [swap(p) for p in base.sections.get("other", [])] or ["无。"]},
        cells=cells, values=values,
        labels=apply_quirks(template, year, list(plan.label_quirks)),
        label_variants=list(plan.label_quirks),
        broken_rules=[plan.break_rule] if plan.break_rule else [],
        notes=f"generated by sandbox.reports.variants (seed {plan.seed}) from the spec of {base.agency}"
              + (f"; value variants: {', '.join(value_quirks)}" if value_quirks else ""),
    )
    spec.validate()
    return spec
