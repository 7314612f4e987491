"""Numbers as Indonesians write and read them: the one home of the digit rules and of percentages.

A dot groups thousands (100.000, 1.250.000; or no dots at all, 100000), a comma starts the decimals:
"100.000" is one hundred thousand, never one hundred with three decimals. Every form field, import cell,
page, export and admin column parses and prints numbers through these functions.
"""

import re
from decimal import ROUND_HALF_UP, Decimal

from django.db import models

GROUPED_DIGITS = r"\d{1,3}(?:\.\d{3})+"
HUNDRED = Decimal(100)
CENTS = Decimal("0.01")


def grouped(value):
    """100000 → "100.000": a whole number with Indonesian grouping (the one place the dots are written)."""
    return f"{int(value):,}".replace(",", ".")


def rupiah(value):
    """Rp 1.250.000 — whole Rupiah with Indonesian grouping (used in messages and templates)."""
    if value is None:
        return "–"
    value = Decimal(value).quantize(Decimal(1))
    sign = "-" if value < 0 else ""
    return f"Rp {sign}{grouped(abs(value))}"


def decimal_text(value, places):
    """25.5 → "25,5" (places=1): a decimal with Indonesian grouping and a decimal comma."""
    value = Decimal(value).quantize(Decimal(1).scaleb(-int(places)))
    return f"{value:,}".replace(",", "_").replace(".", ",").replace("_", ".")


def indonesian_number(text, *, decimals=0):
    """The Decimal that number text means as Indonesians write it, or None when it is not such a number.

    At most `decimals` digits after the comma (none for a quantity: "2,5" or "100,000" is not a count).
    Spaces (also non-breaking ones) are ignored."""
    text = re.sub(r"\s", "", str(text))
    fraction = rf"(?:,\d{{1,{decimals}}})?" if decimals else ""
    if not re.fullmatch(rf"-?(?:{GROUPED_DIGITS}|\d+){fraction}", text):
        return None
    return Decimal(text.replace(".", "").replace(",", "."))


#: Integer fields that name something rather than count it: a year, a month, a quarter, a record's id or
#: version. They are typed and shown as plain digits (2020), never grouped as a quantity (2.020).
CODE_NUMBER_NAMES = frozenset({"id", "year", "month", "quarter", "version", "object_id"})


def is_code_number(name):
    return name in CODE_NUMBER_NAMES or name.endswith(("_year", "_id"))


def is_quantity(model_field):
    """Whether a model field is a count or quantity typed with Indonesian grouping (100.000)."""
    return (
        isinstance(model_field, models.IntegerField)
        and not model_field.primary_key
        and not model_field.choices
        and not is_code_number(model_field.name)
    )


def percent(part, whole):
    """part / whole as a percentage with two decimals, half rounded up; None when the whole is zero or
    unknown. The one rounding rule of every percentage shown (pages print it with its two decimals)."""
    if not whole or part is None:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(CENTS, rounding=ROUND_HALF_UP)


def absorption_pct(realised, pagu):
    """Penyerapan: realised × 100 / pagu by `percent`'s rule — the one formula of the budget page, the
    home page, the allocation list, the admin and every report."""
    return percent(realised, pagu)
