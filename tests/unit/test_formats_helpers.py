"""The pieces the binary readers share: CJK-aware joining, property titles, grid compaction."""
from __future__ import annotations

import pytest

from pipelines.document import Cell, Grid
from pipelines.formats.cjk import join_lines, squeeze_wide_spaces
from pipelines.formats.grids import compact
from pipelines.formats.properties import meaningful_title


@pytest.mark.parametrize(
    ("pieces", "joined"),
    [
        (["商业", "企业"], "商业企业"),
        (["本年收费金额（单位：", "万元）"], "本年收费金额（单位：万元）"),
        (["2023", "年"], "2023年"),
        (["Total", "count"], "Total count"),
        (["12", "34"], "12 34"),
        (["  商业 ", "", " 企业"], "商业企业"),
    ],
)
def test_join_lines(pieces, joined):
    assert join_lines(pieces) == joined


def test_squeeze_wide_spaces():
    assert squeeze_wide_spaces("自 然 人 共 收 到 申 请 12 件 , total 3") == "自然人共收到申请12件, total 3"


@pytest.mark.parametrize(
    ("value", "title"),
    [
        ("2023年政府信息公开工作年度报告", "2023年政府信息公开工作年度报告"),
        ("  岚皋县  2023年 年报 ", "岚皋县 2023年 年报"),
        ("Microsoft Word - 文档1.docx", None),
        ("附件1.doc", None),
        ("无标题", None),
        ("Sheet1", None),
        ("123", None),
        (None, None),
        (b"bytes", None),
    ],
)
def test_meaningful_title(value, title):
    assert meaningful_title(value) == title


def _grid(origins: list[list[tuple[int, int]]]) -> Grid:
    return Grid([[Cell(f"{o[0]}{o[1]}", o) for o in row] for row in origins])


def test_compact_drops_columns_and_rows_where_nothing_starts():
    grid = _grid([
        [(0, 0), (0, 1), (0, 1)],
        [(0, 0), (1, 1), (1, 1)],
    ])
    assert [[c.origin for c in row] for row in compact(grid).rows] == [[(0, 0), (0, 1)], [(0, 0), (1, 1)]]
    assert compact(grid).rows[1][1].text == "11"


def test_compact_drops_a_hairline_column_whose_cells_go_on():
    # Column 2 is a hairline: 行政诉讼 starts in it, 总计 runs over it.
    grid = _grid([
        [(0, 0), (0, 0), (0, 2), (0, 2)],
        [(1, 0), (1, 1), (1, 1), (1, 3)],
    ])
    assert [[c.origin for c in row] for row in compact(grid, [2]).rows] == [[(0, 0), (0, 0), (0, 2)],
                                                                            [(1, 0), (1, 1), (1, 2)]]
    # A hairline column holding a cell of its own stays.
    lone = _grid([[(0, 0), (0, 1), (0, 2)]])
    assert len(compact(lone, [1]).rows[0]) == 3
