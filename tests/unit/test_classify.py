import pytest

from pipelines.classify import NO_BODY, report_verdict


@pytest.mark.parametrize(("title", "reason"), [
    ("图解：某县2023年政府信息公开工作年度报告", "年报解读"),
    ("《某县2023年政府信息公开工作年度报告》解读", "年报解读"),
    ("某县人民政府门户网站2023年政府网站工作年度报表", "政府网站工作年度报表"),
    ("某县2023年法治政府建设年度报告", "法治政府建设年度报告"),
    ("关于做好2023年度政府信息公开工作年度报告编制发布工作的通知", "deployment notice"),
    ("某局关于报送2020年政府信息公开年度报告的函", "cover letter only"),
    ("某县2023年度部门整体支出绩效评价报告", "绩效评价报告"),
])
def test_near_misses_are_named(title, reason):
    is_report, why = report_verdict(title, headings_found=6, cells_found=200, body_names_report=True)
    assert not is_report and reason in why


def test_report_by_title_or_by_body():
    assert report_verdict("某局2023年政府信息公开工作年度报告", 0, 0, body_names_report=True) == (True, None)
    assert report_verdict("某局2023年政府信息公开工作年度报告", 1, 0, body_names_report=False) == (True, None)
    assert report_verdict("某局2023年政府信息公开工作年度报告", 0, 4, body_names_report=False) == (True, None)
    assert report_verdict(None, 5, 0, False) == (True, None)
    assert report_verdict("2023年度工作总结", 0, 0, True)[0] is False


def test_a_report_title_alone_is_a_near_miss():
    """Issue 19 §3: a report's title over "页面正在建设中" is no report (coverage would count it as published)."""
    assert report_verdict("某局2023年政府信息公开工作年度报告", 0, 0, body_names_report=False) == (False, NO_BODY)
