"""Documents that look like annual reports but are not (domain.md §4), as page articles.

Each mentions the report by name, its year and often its section headings, so only reading what the document
*is* tells it apart: an explainer (年报解读), the 政府网站工作年度报表, a deployment notice, a 法治政府建设年度报告
and a cover letter sent without its report.
"""
from __future__ import annotations

from sandbox.reports.layout import Article, Cell, Paragraph, Table
from sandbox.reports.site import site_for

KINDS = ("interpretation", "website_report", "notice", "rule_of_law", "cover_letter")
# The `reason` an extractor should give for each kind.
REASONS = {"interpretation": "年报解读", "website_report": "政府网站工作年度报表", "notice": "部署通知",
           "rule_of_law": "法治政府建设年度报告", "cover_letter": "cover letter only"}


def _interpretation(agency: str, year: int) -> Article:
    title = f"一图读懂《{agency}{year}年政府信息公开工作年度报告》"
    return Article(title, agency, f"{year + 1}-01-26", [
        Paragraph(f"近日，{agency}发布了《{agency}{year}年政府信息公开工作年度报告》，现将报告主要内容解读如下。"),
        Paragraph("一、总体情况", "heading"),
        Paragraph(f"{year}年，{agency}主动公开政府信息326条，办理政府信息公开申请12件，办结率100%。"),
        Paragraph("二、主动公开政府信息情况", "heading"),
        Paragraph("全年制发行政规范性文件2件，作出行政许可决定4277件。"),
        Paragraph("三、收到和处理政府信息公开申请情况", "heading"),
        Paragraph("本年新收申请12件，予以公开9件，部分公开1件，无法提供2件。"),
        Paragraph("四、政府信息公开行政复议、行政诉讼情况", "heading"),
        Paragraph("全年未发生因政府信息公开引起的行政复议和行政诉讼。"),
        Paragraph(f"报告全文请见：{agency}{year}年政府信息公开工作年度报告（点击查看）。"),
    ])


def _website_report(agency: str, year: int) -> Article:
    site = site_for(agency)
    title = f"{site.name}网站{year}年政府网站工作年度报表"
    rows = [("名称", site.name + "门户网站"), ("首页网址", "http://www.example.gov.cn"), ("主办单位", site.office),
            ("网站类型", "政府门户网站"), ("政府网站标识码", site.code), ("ICP备案编号", site.icp),
            ("独立用户访问总量（单位：个）", "182634"), ("网站总访问量（单位：次）", "1534217")]
    body = [Cell(label, r, 0, colspan=2, header=True) for r, (label, _) in enumerate(rows)]
    body += [Cell(value, r, 2) for r, (_, value) in enumerate(rows)]
    n = len(rows)
    stats = (("信息发布", "总数", "5214"), ("信息发布", "概况类信息更新量", "86"),
             ("信息发布", "政务动态信息更新量", "2731"),
             ("信息发布", "信息公开目录信息更新量", "2397"), ("解读回应", "解读信息发布总数", "64"),
             ("办事服务", "是否发布服务事项目录", "是"), ("互动交流", "收到留言数量", "315"),
             ("互动交流", "办结留言数量", "315"))
    for i, (group, item, value) in enumerate(stats):
        if i == 0 or stats[i - 1][0] != group:
            span = sum(1 for g, _, _ in stats if g == group)
            body.append(Cell(group, n + i, 0, rowspan=span, header=True))
        body += [Cell(item, n + i, 1), Cell(value, n + i, 2)]
    table = Table("website", n + len(stats), 3, tuple(body))
    return Article(title, site.office, f"{year + 1}-01-22", [
        Paragraph(f"根据《政府网站与政务新媒体检查指标》要求，现将{site.name}网站{year}年度工作情况公布如下："),
        table,
    ])


def _notice(agency: str, year: int) -> Article:
    site = site_for(agency)
    title = f"关于做好{year}年度政府信息公开工作年度报告编制发布工作的通知"
    return Article(title, site.office, f"{year + 1}-01-04", [
        Paragraph("各乡镇人民政府、街道办事处，县政府各部门、各直属机构：", "letter"),
        Paragraph(f"根据《中华人民共和国政府信息公开条例》第四十九条、第五十条规定，现就做好{year}年度政府信息公开工作年度报告"
                  "（以下简称年度报告）编制发布工作通知如下："),
        Paragraph("一、严格执行年度报告格式", "heading"),
        Paragraph("年度报告应当按照《中华人民共和国政府信息公开工作年度报告格式》（国办公开办函〔2021〕30号）编制，"
                  "包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议及行政诉讼情况、"
                  "存在的主要问题及改进情况、其他需要报告的事项等内容，表格数据应当符合勾稽关系。"),
        Paragraph("二、按时发布年度报告", "heading"),
        Paragraph(f"县政府各部门应当于{year + 1}年1月31日前在县政府门户网站“政府信息公开年报”栏目发布本部门年度报告；"
                  "各乡镇人民政府、街道办事处应当于2月10日前发布。"),
        Paragraph("三、加强审核把关", "heading"),
        Paragraph("各单位要对照上一年度报告认真核对数据，杜绝照搬照抄。"),
        Paragraph(site.office, "letter"),
        Paragraph(f"{year + 1}年1月4日", "letter"),
    ])


def _rule_of_law(agency: str, year: int) -> Article:
    title = f"{agency}{year}年法治政府建设年度报告"
    return Article(title, agency, f"{year + 1}-03-28", [
        Paragraph(f"{year}年，{agency}深入学习贯彻习近平法治思想，全面落实《法治政府建设实施纲要（2021—2025年）》，"
                  "现将本年度法治政府建设工作情况报告如下。"),
        Paragraph(f"一、{year}年推进法治政府建设的主要举措和成效", "heading"),
        Paragraph("（一）深入推进依法行政。全面落实重大行政决策程序规定，全年审查规范性文件3件，作出行政许可决定4277件。"),
        Paragraph("（二）推进政务公开。认真落实《中华人民共和国政府信息公开条例》，按时发布政府信息公开工作年度报告，"
                  "全年办理政府信息公开申请12件。"),
        Paragraph("二、存在的不足和原因", "heading"),
        Paragraph("法治宣传教育的针对性有待增强，执法人员业务能力有待提升。"),
        Paragraph(f"三、{year + 1}年推进法治政府建设的主要安排", "heading"),
        Paragraph("持续完善行政执法“三项制度”，加强行政复议和行政应诉工作。"),
    ])


def _cover_letter(agency: str, year: int) -> Article:
    site = site_for(agency)
    title = f"关于报送{year}年政府信息公开工作年度报告的函"
    return Article(title, agency, f"{year + 1}-01-15", [
        Paragraph(agency, "letter"),
        Paragraph(title, "letter"),
        Paragraph(f"{site.office}：", "letter"),
        Paragraph(f"现将我单位《{year}年政府信息公开工作年度报告》报来，请收悉。", "letter"),
        Paragraph("附件：" + f"{agency}{year}年政府信息公开工作年度报告", "letter"),
        Paragraph(agency, "letter"),
        Paragraph(f"{year + 1}年1月15日", "letter"),
    ])


_BUILDERS = {"interpretation": _interpretation, "website_report": _website_report, "notice": _notice,
             "rule_of_law": _rule_of_law, "cover_letter": _cover_letter}


def lookalike(kind: str, agency: str, year: int) -> Article:
    return _BUILDERS[kind](agency, year)
