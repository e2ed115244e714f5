from pipelines.sections import heading_key, split_sections


def test_heading_numbering_variants():
    assert heading_key("一、总体情况") == "overview"
    assert heading_key("1、 总体情况") == "overview"
    assert heading_key("4、 政府信息公开行政复议、行政诉讼情况") == "review_litigation"
    assert heading_key("四、因政府信息公开工作被申请行政复议和提起行政诉讼情况") == "review_litigation"
    assert heading_key("三、收到和处理政府信息公开申请情况") == "applications"
    assert heading_key("五、存在的主要问题及改进情况") == "problems"
    assert heading_key("六、其他需要报告的事项") == "other"


def test_sub_headings_and_sentences_are_not_sections():
    assert heading_key("（一）主动公开情况。") is None
    assert heading_key("一是主动公开意识还有待进一步提高。") is None
    assert heading_key("二、主动公开" + "政府信息情况，" * 10) is None


def test_split_in_order_and_drop_footer_chrome():
    text = "\n".join([
        "某县2023年政府信息公开工作年度报告", "前言。", "一、总体情况", "概况文字。", "（一）主动公开情况。",
        "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况", "问题文字。", "六、其他需要报告的事项", "无。", "主办单位：某县人民政府办公室",
        "网站标识码：1234567890",
    ])
    sections, first = split_sections(text)
    assert first == 2
    assert sections["overview"] == "概况文字。\n（一）主动公开情况。"
    assert sections["problems"] == "问题文字。"
    assert sections["other"] == "无。"


def test_a_heading_out_of_order_is_prose():
    sections, _ = split_sections("一、总体情况\n文字\n五、存在的主要问题及改进情况\n问题\n二、主动公开的其他说明")
    assert "二、主动公开的其他说明" in sections["problems"]


def test_pdf_heading_variants_part_numbering_and_number_on_its_own_line():
    assert heading_key("第一部分 总体情况") == "overview"
    assert heading_key("六 、其他需要报告的事项") == "other"
    text = "\n".join(["第一部分 总体情况", "概况。", "二、", "主动公开政府信息情况", "主动文字。",
                      "三、收到和处理政府信息公开", "申请情况", "五.存在的主要问题及改进情况", "问题。"])
    sections, _ = split_sections(text)
    assert sections["overview"] == "概况。"
    assert sections["active"] == "主动文字。"
    assert "applications" in sections and sections["problems"] == "问题。"


def test_headings_printed_inside_tables():
    from pipelines.sections import headings_in_tables

    assert headings_in_tables(["二、主动公开政府信息情况", "行政复议", "四、政府信息公开行政复议、行政诉讼情况"]) == {
        "active", "review_litigation"}
    assert headings_in_tables(["主动公开政府信息情况"]) == set()  # a caption without its number is no heading
