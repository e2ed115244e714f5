"""Grid clean-up shared by the readers of formats with merged cells."""
from __future__ import annotations

from collections.abc import Iterable

from pipelines.document import Cell, Grid


def compact(grid: Grid, hairlines: Iterable[int] = ()) -> Grid:
    """The grid without the columns and rows in which no cell starts, and without droppable hairline columns.

    Word and LibreOffice leave hairline grid columns (a twip or two wide) where cell edges of different rows nearly
    line up. A column that only holds copies of cells starting to its left adds nothing; a hairline column whose
    cells all go on into the next column is dropped too, its cells then starting in that next column. Either way
    the grid keeps one column per field, which the mapping relies on.
    """
    rows = grid.rows
    if not rows:
        return grid
    width = len(rows[0])
    for c in sorted(hairlines):
        if c + 1 < width and all(row[c].origin[1] != c or row[c + 1].origin == row[c].origin for row in rows):
            rows = [[Cell(cell.text, (cell.origin[0], c + 1)) if cell.origin[1] == c else cell for cell in row]
                    for row in rows]
    keep_rows = [r for r, row in enumerate(rows) if any(cell.origin[0] == r for cell in row)]
    keep_cols = [c for c in range(width) if any(row[c].origin[1] == c for row in rows)]
    if len(keep_rows) == len(rows) and len(keep_cols) == width:
        return Grid(rows, grid.source)
    new_row = {r: n for n, r in enumerate(keep_rows)}
    new_col = {c: n for n, c in enumerate(keep_cols)}
    return Grid(
        [[Cell(rows[r][c].text, (new_row[rows[r][c].origin[0]], new_col[rows[r][c].origin[1]])) for c in keep_cols]
         for r in keep_rows],
        grid.source,
    )
