import pytest

from pipelines.values import header_unit, is_value_like, parse


@pytest.mark.parametrize(("text", "expected"), [
    ("4277", 4277), (" 0 ", 0), ("+57", 57), ("-3", -3), ("24457.4", 24457.4), ("1,234", 1234),
    ("１２", 12), ("5件", 5),
    ("", None), ("/", None), ("／", None), ("—", None), ("——", None), ("-", None), ("不适用", None), ("无", None),
    # the IME's 一 typed (or read from a picture) for a dash is the dash, not the numeral one
    ("一", None), ("一一", None),
])
def test_parse_counts_and_blanks(text, expected):
    value = parse(text)
    assert value.ok and value.number == expected and (expected is not None or value.number is None)


def test_blank_is_never_zero():
    assert parse("").number is None and parse("/").number is None and parse("0").number == 0


def test_amounts_are_normalised_to_10k_yuan():
    assert parse("40.35万元", amount=True).number == 40.35
    assert parse("251000元", amount=True).number == 25.1
    assert parse("251000", amount=True, header_unit="元").number == 25.1
    assert parse("12.5", amount=True, header_unit="万元").number == 12.5


def test_text_that_is_not_a_number_is_flagged():
    value = parse("见附件")
    assert value.number is None and not value.ok


def test_value_like_versus_label():
    assert is_value_like("0") and is_value_like("") and is_value_like("不适用") and is_value_like("+5")
    assert not is_value_like("规章") and not is_value_like("总计")


def test_header_units():
    assert header_unit("本年收费金额（单位：万元）") == "万元"
    assert header_unit("采购总金额(元)") == "元"
    assert header_unit("采购总金额") is None
