"""Reading the XLSX downloads in tests: each sheet has a title block above its header row
(programs/exports.py), so the table starts at the header, the first row whose cells are all filled.

Works on sheets loaded normally or read-only."""


def header_index(values):
    """The index of the header row among a sheet's rows of values."""
    for index, row in enumerate(values):
        if len(row) > 1 and all(v is not None and v != "" for v in row):
            return index
    raise AssertionError("no header row in the sheet")


def table(sheet):
    """The sheet's rows of values from the header on: [header, data..., totals]."""
    values = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    return values[header_index(values) :]


def table_cells(sheet):
    """As table(), with the cells (for their number formats)."""
    cells = [tuple(r) for r in sheet.iter_rows()]
    values = [tuple(c.value for c in r) for r in cells]
    return cells[header_index(values) :]


def header_row_number(sheet):
    """The header's row number (1-based), as print titles and freeze panes name it."""
    values = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    return header_index(values) + 1


def title_block(sheet):
    """The texts above the header row."""
    values = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    return [r[0] for r in values[: header_index(values)] if r and r[0] is not None]
