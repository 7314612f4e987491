"""Reading the CSV downloads in tests, whichever dialect they were written in (programs/exports.py):
Indonesian Excel (`;`, decimal comma, dd/mm/yyyy) — what a test client gets by default, its language being
Bahasa Indonesia — or the standard one (`,`, decimal point, ISO dates).

`rows()` gives the cells as written; `number()` reads a figure of either dialect exactly (Decimal).
"""

import csv
import io
from decimal import Decimal


def text(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"\xef\xbb\xbf"), "a CSV download starts with a UTF-8 BOM"
    return body.decode("utf-8-sig")


def delimiter(content):
    """The separator of a CSV text: the header line's `;` (Indonesian) or `,` (standard)."""
    first = content.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def rows(response_or_text):
    content = response_or_text if isinstance(response_or_text, str) else text(response_or_text)
    return list(csv.reader(io.StringIO(content), delimiter=delimiter(content)))


def number(cell):
    """A figure of either dialect as an exact Decimal ("12,50" or "12.50"; whole Rupiah "150000000")."""
    assert " " not in cell and not ("." in cell and "," in cell), cell  # never a grouped thousand
    return Decimal(cell.replace(",", "."))
