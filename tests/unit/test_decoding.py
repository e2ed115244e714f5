from pipelines.decoding import declared_encoding, decode

TEXT = "岚皋县行政审批服务局2023年政府信息公开工作年度报告。本年度报告中使用的统计数据期限为2023年1月1日至12月31日。"


def page(charset: str | None, body: str = TEXT) -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">' if charset else ""
    return f"<html><head>{meta}<title>年报</title></head><body><p>{body}</p></body></html>"


def test_gbk_page_declared_as_utf8_is_read_as_gbk():
    text, encoding = decode(page("utf-8").encode("gbk"))
    assert TEXT in text and encoding == "gb18030"


def test_gbk_page_declared_as_latin1_is_not_mojibake():
    text, _ = decode(page("iso-8859-1").encode("gbk"))
    assert TEXT in text


def test_gbk_page_without_declaration():
    text, _ = decode(page(None).encode("gbk"))
    assert TEXT in text


def test_gb2312_declaration_reads_gb18030_characters():
    # "䶮" is outside GB2312/GBK; pages declared gb2312 carry such characters, so gb2312 is read as gb18030.
    body = TEXT + "（䶮）"
    text, encoding = decode(page("gb2312", body).encode("gb18030"))
    assert "（䶮）" in text and encoding == "gb18030"


def test_utf8_with_bom_and_wrong_declaration():
    text, _ = decode(b"\xef\xbb\xbf" + page("gbk").encode("utf-8"))
    assert TEXT in text


def test_header_declaration_wins_over_meta():
    assert declared_encoding(page("utf-8").encode(), "text/html; charset=GBK") == "gbk"


def test_undecodable_bytes_are_replaced_not_raised():
    text, _ = decode(TEXT.encode("gbk") + b"\xff\xfe\x80")
    assert text.startswith(TEXT)


def test_big5_page_is_not_read_as_gbk():
    # Big5 bytes are valid GBK too: read as GBK they give rare characters, which sends the page to detection.
    body = ("臺灣政府資訊公開年度報告。本年度報告中使用的統計資料期限為2023年1月1日至12月31日。"
            "如對本報告有任何疑問，請與本機關聯繫。")
    text, encoding = decode(f"<html><head><title>年報</title></head><body><p>{body}</p></body></html>".encode("big5"))
    assert body in text and encoding == "big5hkscs"
