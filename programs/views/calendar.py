"""The reporting calendar's board, /kalender/?tahun=YYYY: for the ministry every province × period with its
state, for a province's staff their own due dates; `&format=json` gives the same rows as data.

The rows come from programs/deadlines.py (which asks the access module whose provinces the user sees); this
view only parses the query, arranges the rows and renders them.
"""

from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import access, deadlines
from ..models import Allocation, PackageKind

#: The JSON's keys, in order (the issue's shape, plus "returned").
JSON_KEYS = (
    "province_code",
    "kind",
    "period",
    "due",
    "submitted_on",
    "approved_on",
    "verified_on",
    "state",
    "returned",
)
KIND_FILTERS = {"bulanan": (PackageKind.MONTHLY,), "triwulanan": (PackageKind.QUARTERLY,), "": None}


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _bad_request(request, message, json):
    if json:
        return JsonResponse({"error": message}, status=400)
    return render(request, "programs/calendar.html", {"error": message}, status=400)


def calendar(request):
    user = request.user
    if not access.may_read(user):
        raise PermissionDenied
    json = request.GET.get("format") == "json"
    raw_year = (request.GET.get("tahun") or "").strip()
    today = timezone.localdate()
    if raw_year:
        if not raw_year.isascii() or not raw_year.isdigit() or not 2000 <= int(raw_year) <= 2100:
            return _bad_request(request, _("Tahun harus berupa angka antara 2000 dan 2100, mis. 2025."), json)
        year = int(raw_year)
    else:
        year = today.year
    kind_filter = request.GET.get("jenis", "")
    if kind_filter not in KIND_FILTERS:
        return _bad_request(request, _("Jenis laporan harus bulanan atau triwulanan."), json)
    kinds = KIND_FILTERS[kind_filter]
    rows = deadlines.rows(year, user=user, today=today, kinds=kinds)
    if json:
        return JsonResponse(
            {"year": year, "rows": [{key: _iso(row[key]) for key in JSON_KEYS} for row in rows]},
            json_dumps_params={"ensure_ascii": False},
        )
    for row in rows:
        deadlines.decorate(row)
    national = access.sees_every_province(user)
    schedule = [
        {
            "kind": kind,
            "period": period,
            "due": due,
            "label": deadlines.period_label(kind, period, year),
            "short": deadlines.short_label(kind, period),
        }
        for kind, period, due in deadlines.periods(year, kinds)
    ]
    grid = []
    for row in rows:
        if not grid or grid[-1]["code"] != row["province_code"]:
            grid.append({"code": row["province_code"], "name": row["province_name"], "cells": []})
        grid[-1]["cells"].append(row)
    counts = dict.fromkeys(deadlines.STATES, 0)
    returned = 0
    for row in rows:
        counts[row["state"]] += 1
        returned += row["returned"]
    province_id = rows[0]["province_id"] if rows and not national else None
    visible_years = Allocation.objects.visible_to(user).order_by().values_list("year", flat=True).distinct()
    years = sorted({*visible_years, year}, reverse=True)
    return render(
        request,
        "programs/calendar.html",
        {
            "year": year,
            "years": years,
            "kind_filter": kind_filter,
            "national": national,
            "rows": rows,
            "grid": grid,
            "schedule": schedule,
            "legend": [*deadlines.STATES.values(), deadlines.RETURNED],
            "counts": [(deadlines.STATES[state][0], n) for state, n in counts.items()],
            "returned_count": returned,
            "windows": deadlines.rpd_windows(year, province_id),
            "today": today,
        },
    )
