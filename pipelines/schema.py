"""The one authoritative copy of the common schema's field keys (docs/schema.md).

Keys are `<group>.<row>.<column>`. Each template (2019 / 2021 national format) has a fixed, ordered key list; the
label keywords used to recognise rows and columns in real tables live in `pipelines.mapping`.
"""
from __future__ import annotations

TEMPLATES = ("2021", "2019", "legacy")

# Section 二 (主动公开): (row key, column keys) in table order.
ACTIVE_2021: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("regulations", ("issued", "repealed", "in_force")),
    ("normative_docs", ("issued", "repealed", "in_force")),
    ("licensing", ("decisions",)),
    ("punishment", ("decisions",)),
    ("coercion", ("decisions",)),
    ("fees", ("amount_10k_yuan",)),
)
ACTIVE_2019: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("regulations", ("new_made", "new_published", "total_published")),
    ("normative_docs", ("new_made", "new_published", "total_published")),
    ("licensing", ("prev_year_items", "change", "decisions")),
    ("other_services", ("prev_year_items", "change", "decisions")),
    ("punishment", ("prev_year_items", "change", "decisions")),
    ("coercion", ("prev_year_items", "change", "decisions")),
    ("fees", ("prev_year_items", "change")),
    ("procurement", ("items", "amount_10k_yuan")),
)

# Section 三 (申请): the seven applicant columns, in the national form's order.
APPLICANT_COLUMNS = (
    "natural_person", "commercial", "research", "social_welfare", "legal_service", "other_org", "total",
)
APPLICANT_SUBCOLUMNS = APPLICANT_COLUMNS[:-1]

DENIED = (
    "denied_state_secret", "denied_law_forbidden", "denied_three_safety", "denied_third_party",
    "denied_internal_affairs", "denied_process_info", "denied_enforcement_file", "denied_admin_query",
)
UNABLE = ("unable_not_held", "unable_need_create", "unable_unclear")
NOT_PROCESSED = (
    "not_processed_petition", "not_processed_repeat", "not_processed_publication", "not_processed_massive",
    "not_processed_confirm",
)
OTHER_2021 = ("other_overdue_correction", "other_overdue_fee", "other_other")

# The result leaves whose sum is （七）总计 (rule R2): 21 in 2021, 19 in 2019.
RESULT_LEAVES = {
    "2021": ("granted", "partial", *DENIED, *UNABLE, *NOT_PROCESSED, *OTHER_2021),
    "2019": ("granted", "partial", *DENIED, *UNABLE, *NOT_PROCESSED, "other"),
}
APPLICATION_ROWS = {
    t: ("new_received", "carried_over", *leaves, "total_processed", "carried_forward")
    for t, leaves in RESULT_LEAVES.items()
}

# Section 四: three groups of five, in the table's left-to-right order.
REVIEW_GROUPS = ("review", "litigation_direct", "litigation_after_review")
REVIEW_COLUMNS = ("upheld", "corrected", "other_result", "pending", "total")

# Columns whose values may be negative (the 2019 本年增/减) or fractional (amounts); every other field is a count.
SIGNED_COLUMNS = frozenset({"change"})
AMOUNT_COLUMNS = frozenset({"amount_10k_yuan"})


def active_keys(template: str) -> list[str]:
    rows = ACTIVE_2021 if template == "2021" else ACTIVE_2019
    return [f"active.{row}.{col}" for row, cols in rows for col in cols]


def application_keys(template: str) -> list[str]:
    return [f"applications.{row}.{col}" for row in APPLICATION_ROWS[template] for col in APPLICANT_COLUMNS]


def review_keys() -> list[str]:
    return [f"{group}.{col}" for group in REVIEW_GROUPS for col in REVIEW_COLUMNS]


def field_keys(template: str) -> list[str]:
    """Every key of a template, in table order; the legacy free-form outline has no table keys."""
    if template == "legacy":
        return []
    return active_keys(template) + application_keys(template) + review_keys()


def column_of(key: str) -> str:
    return key.rsplit(".", 1)[1]


# The national forms' own wording, used to render tables (sandbox, fixtures) and documented beside each key.
ACTIVE_ROW_LABELS: dict[str, str | dict[str, str]] = {
    "regulations": "规章",
    "normative_docs": {"2021": "行政规范性文件", "2019": "规范性文件"},
    "licensing": "行政许可",
    "other_services": "其他对外管理服务事项",
    "punishment": "行政处罚",
    "coercion": "行政强制",
    "fees": "行政事业性收费",
    "procurement": "政府集中采购",
}
ACTIVE_COLUMN_LABELS: dict[str, str | dict[str, str]] = {
    "issued": "本年制发件数",
    "repealed": "本年废止件数",
    "in_force": "现行有效件数",
    "decisions": {"2021": "本年处理决定数量", "2019": "处理决定数量"},
    "amount_10k_yuan": {"2021": "本年收费金额（单位：万元）", "2019": "采购总金额"},
    "new_made": "本年新制作数量",
    "new_published": "本年新公开数量",
    "total_published": "对外公开总数量",
    "prev_year_items": "上一年项目数量",
    "change": "本年增/减",
    "items": "采购项目数量",
}
# The 第二十条 item heading above each block of section 二.
ACTIVE_BLOCKS = {
    "2021": (("（一）", ("regulations", "normative_docs")), ("（五）", ("licensing",)),
             ("（六）", ("punishment", "coercion")), ("（八）", ("fees",))),
    "2019": (("（一）", ("regulations", "normative_docs")), ("（五）", ("licensing", "other_services")),
             ("（六）", ("punishment", "coercion")), ("（八）", ("fees",)), ("（九）", ("procurement",))),
}

APPLICANT_COLUMN_LABELS = {
    "natural_person": "自然人", "commercial": "商业企业", "research": "科研机构", "social_welfare": "社会公益组织",
    "legal_service": "法律服务机构", "other_org": "其他", "total": "总计",
}
APPLICATION_ROW_LABELS = {
    "new_received": "一、本年新收政府信息公开申请数量",
    "carried_over": "二、上年结转政府信息公开申请数量",
    "granted": "（一）予以公开",
    "partial": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "denied_state_secret": "1.属于国家秘密",
    "denied_law_forbidden": "2.其他法律行政法规禁止公开",
    "denied_three_safety": "3.危及“三安全一稳定”",
    "denied_third_party": "4.保护第三方合法权益",
    "denied_internal_affairs": "5.属于三类内部事务信息",
    "denied_process_info": "6.属于四类过程性信息",
    "denied_enforcement_file": "7.属于行政执法案卷",
    "denied_admin_query": "8.属于行政查询事项",
    "unable_not_held": "1.本机关不掌握相关政府信息",
    "unable_need_create": "2.没有现成信息需要另行制作",
    "unable_unclear": "3.补正后申请内容仍不明确",
    "not_processed_petition": "1.信访举报投诉类申请",
    "not_processed_repeat": "2.重复申请",
    "not_processed_publication": "3.要求提供公开出版物",
    "not_processed_massive": "4.无正当理由大量反复申请",
    "not_processed_confirm": "5.要求行政机关确认或重新出具已获取信息",
    "other_overdue_correction": "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other_overdue_fee": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other_other": "3.其他",
    "other": "（六）其他处理",
    "total_processed": "（七）总计",
    "carried_forward": "四、结转下年度继续办理",
}
# Row groups of 三、本年度办理结果 whose label spans their sub-rows.
APPLICATION_GROUP_LABELS = {
    "denied": ("（三）不予公开", DENIED),
    "unable": ("（四）无法提供", UNABLE),
    "not_processed": ("（五）不予处理", NOT_PROCESSED),
    "other": ("（六）其他处理", OTHER_2021),
}
REVIEW_GROUP_LABELS = {"review": "行政复议", "litigation_direct": "未经复议直接起诉",
                       "litigation_after_review": "复议后起诉"}
REVIEW_COLUMN_LABELS = {"upheld": "结果维持", "corrected": "结果纠正", "other_result": "其他结果",
                        "pending": "尚未审结", "total": "总计"}

SECTION_KEYS = ("overview", "active", "applications", "review_litigation", "problems", "other")
SECTION_HEADINGS = {
    "overview": "一、总体情况",
    "active": "二、主动公开政府信息情况",
    "applications": "三、收到和处理政府信息公开申请情况",
    "review_litigation": "四、政府信息公开行政复议、行政诉讼情况",
    "problems": "五、存在的主要问题及改进情况",
    "other": "六、其他需要报告的事项",
}


# Printed on the national forms but not field labels.
NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
APPLICANT = "申请人情况"
ORG = "法人或其他组织"
RESULTS = "三、本年度办理结果"
CONTENT = "信息内容"
LITIGATION = "行政诉讼"


def _by_template(label: str | dict[str, str], template: str) -> str:
    return label[template] if isinstance(label, dict) else label


def block_id(item: str) -> str:
    """`active.block.一` for the block headed 第二十条第（一）项."""
    return "active.block." + item.strip("（）")


def national_labels(template: str) -> dict[str, str]:
    labels = {"active.content": CONTENT, "applications.note": NOTE, "applications.applicant": APPLICANT,
              "applications.org": ORG, "applications.results": RESULTS, "review.litigation": LITIGATION}
    for item, rows in ACTIVE_BLOCKS[template]:
        labels[block_id(item)] = f"第二十条第{item}项"
        for row in rows:
            labels[f"active.row.{row}"] = _by_template(ACTIVE_ROW_LABELS[row], template)
    for col, label in ACTIVE_COLUMN_LABELS.items():
        labels[f"active.col.{col}"] = _by_template(label, template)
    for col, label in APPLICANT_COLUMN_LABELS.items():
        labels[f"applications.col.{col}"] = label
    for row in APPLICATION_ROWS[template]:
        labels[f"applications.row.{row}"] = APPLICATION_ROW_LABELS[row]
    for group, (label, _) in APPLICATION_GROUP_LABELS.items():
        labels[f"applications.group.{group}"] = label
    for group, label in REVIEW_GROUP_LABELS.items():
        labels[f"review.group.{group}"] = label
    for col, label in REVIEW_COLUMN_LABELS.items():
        labels[f"review.col.{col}"] = label
    return labels
