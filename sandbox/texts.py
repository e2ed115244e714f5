"""Titles and bodies of the pages that are not reports: near-misses of domain.md §4, and the news, notices and
policy documents that make up most of a real portal.

Each function is pure: the same (agency, year, random stream) gives the same text.
"""
from __future__ import annotations

import random

# kind → title patterns; {agency} is the publishing agency, {short} its short name, {year} the year concerned.
NEAR_MISS_TITLES = {
    "interpretation": ("一图读懂{agency}{year}年政府信息公开工作年度报告",
                       "{agency}{year}年政府信息公开工作年度报告解读",
                       "图解：{short}{year}年度政府信息公开工作年度报告"),
    "website_report": ("{agency}门户网站{year}年度政府网站工作年度报表", "{short}政府网站工作年度报表（{year}年度）",
                       "{year}年度{agency}政府网站工作年度报表"),
    "deployment": ("关于做好{year}年度政府信息公开工作年度报告编制和发布工作的通知",
                   "{short}关于开展{year}年度政府信息公开工作年度报告编制工作的通知"),
    "meeting": ("{short}召开{year}年度政府信息公开工作年度报告编制工作部署会",),
    "system_doc": ("{agency}政府信息公开工作年度报告制度", "{agency}关于建立政府信息公开工作年度报告制度的通知"),
    "national_notice": (("国务院办公厅政府信息与政务公开办公室"
                         "关于印发《中华人民共和国政府信息公开工作年度报告格式》的通知"),),
    "rule_of_law": ("{agency}{year}年法治政府建设年度报告", "{agency}关于{year}年度法治政府建设情况的报告"),
    "work_report": ("{next}年{short}人民政府工作报告",),
    "performance": ("{agency}{year}年度部门整体支出绩效评价报告",),
    "cover_letter": ("{agency}关于报送{year}年政府信息公开工作年度报告的函",),
    # Third-party evaluations of a government's disclosure work (domain.md §4): a report about reports.
    "evaluation": ("{short}{year}年度政府信息公开工作第三方评估报告",
                   "{agency}{year}年度政府信息公开工作年度报告第三方评估结果",
                   "{short}{year}年政务公开第三方评估报告", "关于{year}年度政府信息公开工作的第三方评估报告",
                   "{short}{year}年度政府信息公开工作年度报告质量评估结果"),
}

NEWS_TOPICS = ("召开党组理论学习中心组学习会", "开展安全生产大检查", "召开优化营商环境推进会", "举行防汛应急演练",
               "开展“我为群众办实事”实践活动", "推进乡村振兴重点项目建设", "召开季度经济运行分析会",
               "开展森林防火专项督查", "召开民生实事项目推进会", "举办政务服务技能培训", "开展普法宣传进社区活动",
               "召开河湖长制工作会议", "推进高标准农田建设", "召开招商引资工作调度会", "开展食品安全专项整治")
NOTICE_TOPICS = ("关于公开招聘事业单位工作人员的公告", "关于开展年度统计执法检查的通知", "关于调整部分公交线路的公告",
                 "关于征求意见的公告", "关于清明节期间森林防火的通告", "关于公布行政许可事项清单的通知",
                 "关于拟表彰先进集体和个人的公示", "关于停水的通知")
POLICY_TOPICS = ("关于印发进一步优化营商环境若干措施的通知", "关于印发防汛抗旱应急预案的通知",
                 "关于印发政府信息公开指南的通知", "关于加强耕地保护的实施意见", "关于印发政务公开工作要点的通知",
                 "关于调整城乡居民基本医疗保险缴费标准的通知")


def near_miss_title(kind: str, rng: random.Random, agency: str, short: str, year: int) -> str:
    return rng.choice(NEAR_MISS_TITLES[kind]).format(agency=agency, short=short, year=year, next=year + 1)


def routine_title(kind: str, rng: random.Random, agency: str, short: str) -> str:
    if kind == "news":
        return f"{agency}{rng.choice(NEWS_TOPICS)}"
    topics = NOTICE_TOPICS if kind == "notice" else POLICY_TOPICS
    return f"{short}{rng.choice(topics)}" if rng.random() < 0.6 else rng.choice(topics)


def body(kind: str, rng: random.Random, agency: str, year: int | None) -> list[str]:
    """Paragraphs of a page that is not a report."""
    y = year or 2024
    if kind == "interpretation":
        n = rng.randint(3, 90)
        return [f"近日，{agency}发布了《{y}年政府信息公开工作年度报告》。为便于公众理解，现将报告主要内容解读如下。",
                f"一、总体情况。{y}年，主动公开政府信息{rng.randint(200, 2000)}条，政府信息公开工作有序推进。",
                f"二、依申请公开情况。全年共收到政府信息公开申请{n}件，均在法定期限内答复。",
                "三、下一步工作。持续深化政务公开，提升公开质量和实效。",
                "（报告全文请见政府信息公开年报栏目）"]
    if kind in ("deployment", "meeting"):
        return ["各乡镇人民政府、街道办事处，县政府各部门：",
                f"根据《中华人民共和国政府信息公开条例》规定，现就做好{y}年度政府信息公开工作年度报告编制和发布工作通知如下。",
                (f"一、各单位应于{y + 1}年1月31日前在政府门户网站公布本单位{y}年度报告，"
                 "严格使用国务院办公厅规定的格式。"),
                "二、年度报告中的数据应与工作台账一致，认真核对勾稽关系，确保数据准确。",
                "三、请各单位于发布后3个工作日内将报告链接报送县政府办公室政务公开股。"]
    if kind == "system_doc":
        return [("第一条 为规范政府信息公开工作年度报告编制发布工作，"
                 "根据《中华人民共和国政府信息公开条例》，制定本制度。"),
                ("第二条 各单位应当在每年1月31日前向本级政府信息公开工作主管部门提交"
                 "本单位上一年度政府信息公开工作年度报告，并向社会公布。"),
                "第三条 年度报告应当包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况等内容。",
                "第四条 本制度自印发之日起施行。"]
    if kind == "national_notice":
        return ["各省、自治区、直辖市人民政府办公厅，国务院各部委、各直属机构办公厅（室）：",
                "为进一步规范政府信息公开工作年度报告的编制和发布工作，我办对《中华人民共和国政府信息公开工作年度报告格式》进行了修订，现印发给你们，请遵照执行。",
                "国务院办公厅政府信息与政务公开办公室", "2021年9月29日"]
    if kind == "rule_of_law":
        return [(f"{y}年，{agency}坚持以习近平法治思想为指导，深入推进依法行政，"
                 "法治政府建设取得新成效。现将有关情况报告如下。"),
                "一、主要举措和成效。健全依法决策机制，严格规范公正文明执法，全面推进政务公开。",
                "二、存在的不足和原因。法治宣传教育形式单一，执法人员能力有待提升。",
                f"三、{y + 1}年工作打算。持续推进法治政府建设，为经济社会发展提供法治保障。"]
    if kind == "work_report":
        return ["各位代表：",
                "现在，我代表县人民政府，向大会报告政府工作，请予审议，并请县政协委员和其他列席人员提出意见。",
                f"一、{y}年工作回顾。全县地区生产总值增长{rng.randint(3, 8)}.{rng.randint(0, 9)}%，民生保障持续改善。",
                f"二、{y + 1}年工作安排。坚持稳中求进工作总基调，推动高质量发展。"]
    if kind == "performance":
        return [f"根据财政部门要求，{agency}对{y}年度部门整体支出开展了绩效自评，现将评价情况报告如下。",
                f"一、部门基本情况。年度预算收入{rng.randint(300, 9000)}万元，支出{rng.randint(300, 9000)}万元。",
                "二、绩效评价结论。综合评分90分，评价等级为“优”。"]
    if kind == "cover_letter":
        return ["县人民政府办公室：",
                f"根据《中华人民共和国政府信息公开条例》要求，现将我单位《{y}年政府信息公开工作年度报告》报送你处，请审阅。",
                "附件：年度报告（另行报送）", agency, f"{y + 1}年1月{rng.randint(5, 25)}日"]
    if kind == "website_report":
        return [f"{agency}政府网站工作年度报表（{y}年度）。"]
    if kind == "evaluation":
        return [(f"受{agency}委托，评估机构依据《中华人民共和国政府信息公开条例》，"
                 f"对{y}年度政府信息公开工作开展第三方评估。"),
                f"一、评估对象和方法。评估对象为各部门、各乡镇（街道）{y}年度政府信息公开工作年度报告及公开专栏。",
                (f"二、评估结果。总体得分{rng.randint(70, 95)}.{rng.randint(0, 9)}分，"
                 f"年度报告按时发布率{rng.randint(80, 100)}%。"),
                "三、存在的问题。部分年度报告数据勾稽关系不一致，个别单位未使用最新格式。",
                "四、改进建议。加强年度报告审核，规范数据填报。"]
    # news, notices and policy documents: routine prose
    opening = rng.choice(("近日，", "日前，", f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日，"))
    return [(f"{opening}{agency}组织召开专题会议，研究部署相关工作。"
             "会议强调，要提高政治站位，压实工作责任，确保各项任务落到实处。"),
            "会议要求，各相关单位要加强统筹协调，细化工作措施，形成工作合力，推动工作取得实效。",
            rng.choice(("会上，相关负责同志汇报了工作进展情况。", "会议还对下一阶段重点工作进行了安排。"))]


def website_report_rows(rng: random.Random, site_name: str, host: str, site_code: str) -> list[tuple[str, str]]:
    """The 政府网站工作年度报表: a two-column table with counts that look like a report's numbers."""
    return [("网站名称", site_name), ("首页网址", f"http://{host}/"),
            ("主办单位", site_name.replace("人民政府", "人民政府办公室")),
            ("网站标识码", site_code), ("独立用户访问总量（单位：个）", str(rng.randint(20000, 900000))),
            ("网站总访问量（单位：次）", str(rng.randint(100000, 9000000))),
            ("信息发布总数（单位：条）", str(rng.randint(500, 9000))),
            ("政策解读总数（单位：条）", str(rng.randint(5, 90))),
            ("留言办理：收到留言数量（单位：条）", str(rng.randint(10, 900))),
            ("办结留言数量（单位：条）", str(rng.randint(10, 900)))]
