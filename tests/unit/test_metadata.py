import pytest

from pipelines.metadata import agency_from_body, agency_from_title, find_title_line, report_year, signature_date


@pytest.mark.parametrize(("title", "agency"), [
    ("岚皋县行政审批服务局2023年政府信息公开工作年度报告", "岚皋县行政审批服务局"),
    ("泽州县行政审批服务管理局 政府信息公开工作年度报告", "泽州县行政审批服务管理局"),
    ("盐池县审批服务管理局 2023年政府信息公开工作年度报告", "盐池县审批服务管理局"),
    ("2022年度浑南区国资局政府信息公开工作年度报告", "浑南区国资局"),
    ("上海市人民政府2022年政府信息公开工作年度报告", "上海市人民政府"),
    ("北京市人民政府信息公开工作年度报告", "北京市人民政府"),
    ("贵阳市2021年政府信息公开工作年度报告", "贵阳市"),
    ("长春市体育局关于2023年度政府信息公开工作年度报告", "长春市体育局"),
    ("2023年政府信息公开工作年度报告", None),
])
def test_agency_from_title(title, agency):
    assert agency_from_title(title) == agency


def test_title_broken_after_agency_and_cover_letter_skipped():
    lines = ["安康市行政审批服务局", "关于报送2020年政府信息公开年度报告的函", "市政府办公室：",
             "现将我局《2020年政府信息公开年度报告》报来，请收悉。", "安康市行政审批服务局", "2021年1月15日",
             "安康市行政审批服务局2020年", "政府信息公开年度报告", "本年度报告是根据……"]
    assert find_title_line(lines) == (6, "安康市行政审批服务局2020年政府信息公开年度报告")
    assert find_title_line(["岚皋县行政审批服务局", "2023年政府信息公开工作年度报告", "一、总体情况"]) == (
        0, "岚皋县行政审批服务局2023年政府信息公开工作年度报告")


def test_year_from_title_then_period_then_text_never_publication():
    assert report_year("某局2023年政府信息公开工作年度报告", "2024年1月29日发布") == 2023
    assert report_year("某局二〇二二年政府信息公开工作年度报告", "") == 2022
    assert report_year("某局政府信息公开工作年度报告", "本报告统计数据从 2021 年 1 月 1 日至 12 月 31 日。") == 2021
    assert report_year("泽州县行政审批服务管理局 政府信息公开工作年度报告", "一年来……2021年，我局通过") == 2021


def test_signature_date_must_follow_the_year():
    text = "六、其他需要报告的事项\n无。\n某县发展和改革局\n2024年1月20日"
    assert signature_date(text, 2023).isoformat() == "2024-01-20"
    assert signature_date(text, 2024) is None


def test_agency_from_the_body_when_the_title_lacks_it():
    lines = ["政府信息公开工作年度报告",
             "本报告由镇康县住房和城乡建设局根据《中华人民共和国政府信息公开条例》要求编制。"]
    assert agency_from_body(lines) == "镇康县住房和城乡建设局"
    assert agency_from_body(["如对本报告有疑问，请与岚皋县行政审批服务局办公室联系。"]) == "岚皋县行政审批服务局"
    assert agency_from_body(["本报告根据《条例》要求编制。"]) is None
