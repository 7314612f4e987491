
from django import template

from programs import workflow
from programs.numbers import decimal_text, grouped
from programs.numbers import rupiah as _rupiah

register = template.Library()


@register.filter
def rupiah(value):
    """{{ amount|rupiah }} → Rp 1.250.000"""
    return _rupiah(value)


@register.filter
def percent(value, places=1):
    """{{ 25.5|percent }} → 25,5 %"""
    if value is None or value == "":
        return "–"
    return decimal_text(value, places) + " %"


@register.filter
def number(value):
    """{{ 100000|number }} → 100.000"""
    if value is None or value == "":
        return "–"
    return grouped(value)


@register.filter
def figure(value, kind):
    """{{ value|figure:"money" }}: a report cell by its kind (money, percent with 2 places, or a count)."""
    if kind == "money":
        return rupiah(value)
    if kind == "percent":
        return percent(value, 2)
    return number(value)


ACTIVITY_STATUS_BADGES = {
    "rencana": "secondary",
    "berjalan": "primary",
    "selesai": "success",
    "ditunda": "warning",
    "batal": "dark",
}


@register.filter
def status_badge(value):
    """A badge colour for a review state (from the workflow's table) or an activity's status."""
    if value in workflow.STATES:
        return workflow.badge(value)
    return ACTIVITY_STATUS_BADGES.get(value, "secondary")

