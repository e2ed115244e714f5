"""The HTML reader on a CMS-style article page: chrome, meta tags, layout table, attachments, wrong charset."""
import lxml.html

from pipelines.extract import extract
from pipelines.formats.html import _fallback_text, read

ARTICLE = """<!DOCTYPE html>
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<meta name="SiteIDCode" content="6109260001"><meta name="ColumnName" content="政府信息公开年报">
<meta name="ArticleTitle" content="岚皋县行政审批服务局2023年政府信息公开工作年度报告">
<meta name="PubDate" content="2024-01-29 10:30"><meta name="ContentSource" content="岚皋县行政审批服务局">
<title>岚皋县行政审批服务局2023年政府信息公开工作年度报告_岚皋县人民政府</title>
<script>var files = ["/uploadfiles/2024/01/年报.pdf"];</script>
</head><body>
<div class="nav"><a href="/">首页</a> <a href="/zwgk/">政务公开</a> <a href="/zwgk/zfxxgknb/">政府信息公开年报</a></div>
<table class="layout"><tr><td>
<div class="article">
<h1>岚皋县行政审批服务局2023年政府信息公开工作年度报告</h1>
<div class="info">发布时间：2024-01-29 10:30 来源：岚皋县行政审批服务局 浏览次数：103</div>
<div class="content">
<p>一、总体情况</p>
<p>2023年，我局共主动公开政府信息326条。2023年我局未收到依申请公开信息。</p>
<p>二、主动公开政府信息情况</p>
<table border="1">
<tr><td colspan="4">第二十条第（一）项</td></tr>
<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>
<tr><td>规章</td><td>0</td><td>0</td><td>0</td></tr>
<tr><td>行政规范性文件</td><td>0</td><td>0</td><td>1</td></tr>
<tr><td colspan="4">第二十条第（五）项</td></tr>
<tr><td>信息内容</td><td colspan="3">本年处理决定数量</td></tr>
<tr><td>行政许可</td><td colspan="3">4277</td></tr>
</table>
<p>三、收到和处理政府信息公开申请情况</p>
<p>四、政府信息公开行政复议、行政诉讼情况</p>
<p>五、存在的主要问题及改进情况</p><p>一是信息公开更新还不够及时。</p>
<p>六、其他需要报告的事项</p><p>本年度未收取信息处理费。</p>
<p>附件：<a href="/uploadfiles/2024/01/report.docx">年报.docx</a>
 <a href="javascript:void(0)" onclick="window.open('/uploadfiles/2024/01/tables.xls')">表格</a></p>
</div></div>
</td></tr></table>
<div class="footer">主办单位：岚皋县人民政府办公室 网站标识码：6109260001 陕ICP备12345678号</div>
</body></html>"""


def page(charset: str, encoding: str) -> bytes:
    return ARTICLE.replace("{charset}", charset).encode(encoding)


def test_cms_page_metadata_and_tables():
    doc = read(page("utf-8", "utf-8"), url="http://www.langao.gov.cn/zwgk/zfxxgknb/202401/t20240129_1.html")
    assert doc.title == "岚皋县行政审批服务局2023年政府信息公开工作年度报告"
    assert doc.published == "2024-01-29"
    assert doc.meta["siteidcode"] == "6109260001"
    assert len(doc.grids) == 1  # the layout table around the article is not a report table
    urls = [link.url for link in doc.links]
    assert "http://www.langao.gov.cn/uploadfiles/2024/01/report.docx" in urls
    assert "http://www.langao.gov.cn/uploadfiles/2024/01/tables.xls" in urls  # from onclick
    assert "http://www.langao.gov.cn/uploadfiles/2024/01/年报.pdf" in urls  # only in a script string
    assert "首页" not in doc.text and "网站标识码" not in doc.text


def test_gbk_page_declared_utf8_extracts_like_utf8():
    good = extract(page("utf-8", "utf-8"), "a.html")
    lying = extract(page("utf-8", "gbk"), "b.html")
    assert lying.agency == good.agency == "岚皋县行政审批服务局"
    assert lying.fields == good.fields
    assert lying.fields["active.licensing.decisions"] == 4277
    assert lying.year == 2023 and lying.published == "2024-01-29"


def test_headings_without_tables_warn_and_keep_nulls():
    report = extract(page("utf-8", "utf-8"), "a.html")
    assert report.is_report and report.template == "2021"
    assert report.fields["applications.new_received.total"] is None
    assert any("table 三 not found" in w for w in report.warnings)
    assert report.sections["problems"] == "一是信息公开更新还不够及时。"
    assert [c.ok for c in report.checks if c.rule == "S3"] == []  # no table value to compare against



def test_body_text_fallback_leaves_the_page_tree_alone():
    # The title, links and date are read from the same tree after the fallback ran: it must not strip tables there.
    tree = lxml.html.document_fromstring(
        "<html><body><p>正文</p><table><tr><td><a href='/files/report.pdf'>附件</a></td></tr></table>"
        "<script>var x;</script></body></html>")
    assert _fallback_text(tree) == "正文"
    assert tree.find(".//table") is not None and tree.find(".//script") is not None


def test_trafilatura_reads_the_tree_the_tables_and_links_come_from():
    # One parse serves both: trafilatura's own, where a comment in the article is no text (in a tree from lxml's
    # default parser trafilatura prints it before the heading that follows), and trafilatura cleans a copy of it, so
    # the footer's table and attachment link are still there for the reads after it.
    paragraphs = ("一、总体情况。本机关全年主动公开政府信息三百二十六条，涵盖规范性文件、工作动态和政策解读等内容。<br>"
                  "<!-- 注释 -->二、主动公开政府信息情况。本年制发规章零件，"
                  "行政规范性文件一件，行政许可处理决定四千余件。<br>"
                  "三、收到和处理政府信息公开申请情况。本年新收申请六十五件，办结六十一件，结转下年六件。")
    page = ("<html><head><title>某县司法局2023年政府信息公开工作年度报告</title></head><body>"
            f"<div class='content'><div>{paragraphs}</div></div><div class='footer'>"
            "<table><tr><td>规章</td><td>0</td></tr><tr><td>行政规范性文件</td><td>1</td></tr></table>"
            "<a href='/files/report.xlsx'>年报.xlsx</a></div></body></html>")
    doc = read(page.encode(), url="http://www.example.gov.cn/a/b.html")
    assert doc.text.split("\n")[1].startswith("二、主动公开政府信息情况") and "注释" not in doc.text
    assert [grid.texts() for grid in doc.grids] == [[["规章", "0"], ["行政规范性文件", "1"]]]
    assert [link.url for link in doc.links] == ["http://www.example.gov.cn/files/report.xlsx"]
