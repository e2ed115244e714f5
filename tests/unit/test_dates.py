import datetime as dt

import pytest

from pipelines.dates import find_dates, labelled_date, parse_date


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-01-29", dt.date(2024, 1, 29)),
    ("发布时间：2024-01-29 10:30", dt.date(2024, 1, 29)),
    ("2024/1/9", dt.date(2024, 1, 9)),
    ("2024.01.29", dt.date(2024, 1, 29)),
    ("2024年1月29日", dt.date(2024, 1, 29)),
    ("2024 年 01 月 29 日", dt.date(2024, 1, 29)),
    ("二〇二四年一月二十九日", dt.date(2024, 1, 29)),
    ("二○二三年十二月三十一日", dt.date(2023, 12, 31)),
    ("二〇二四年三月十日", dt.date(2024, 3, 10)),
    ("2023-02-30", None),
    ("无日期", None),
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def test_labelled_date_takes_the_date_after_the_label():
    text = "来源：县政府办 2023年12月1日 浏览次数：12 发布日期：2024年01月29日 字号：大 中 小"
    assert labelled_date(text) == dt.date(2024, 1, 29)


def test_find_dates_in_order():
    assert [d for _, d in find_dates("自2023年1月1日起，至2023年12月31日止")] == [
        dt.date(2023, 1, 1), dt.date(2023, 12, 31)]
