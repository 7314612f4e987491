"""Paging the lists (programs/views/common.py): every page of every allowed ordering holds the next rows of
one total order, none repeated and none skipped; "halaman N dari M" is exact; a bad page number never
fails; a deep page runs as many queries as the first; an operator's deep page holds their province only.
The expected orders are computed here from the rows, never by the code under test."""

import datetime
import itertools
import math
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.admin import ActivityAdmin
from programs.forms import ActivityFilter, FirmFilter
from programs.models import Activity, Firm
from programs.views import common
from programs.views.common import PAGE_SIZE, DeferredJoinPaginator
from tests.factories import make_activity, make_allocation, make_firm

pytestmark = pytest.mark.django_db

ROWS = PAGE_SIZE + 5  # two pages


def _pages_of(client, url, params, count):
    """The ids of every page in turn, and each page's Page object."""
    ids, pages = [], []
    for number in range(1, math.ceil(count / PAGE_SIZE) + 1):
        response = client.get(url, {**params, "halaman": number})
        assert response.status_code == 200
        page = response.context["page"]
        pages.append(page)
        ids += [row.pk for row in page]
    return ids, pages


def _ordered(rows, key, descending):
    """Rows sorted by `key` with ties broken by id in the same direction; None sorts as PostgreSQL does
    (after every value ascending, before them descending)."""

    def sort_key(row):
        value = row[key]
        return (value is None, value if value is not None else 0, row["pk"])

    return [row["pk"] for row in sorted(rows, key=sort_key, reverse=descending)]


@pytest.fixture
def activities(db):
    """ROWS activities of 2020, most in Bali (a second page for its operator) and some in Kalimantan
    Selatan, with many ties on every sortable field."""
    bali, kalsel = make_allocation("51", 2020), make_allocation("63", 2020)
    made = []
    for i, (title, budget, start, status) in zip(
        range(ROWS),
        itertools.cycle(
            itertools.product(
                ["Bimtek A", "Bimtek B"],
                [Decimal("100000000"), Decimal("250000000")],
                [datetime.date(2020, 3, 2), datetime.date(2020, 8, 3)],
                ["rencana", "berjalan"],
            )
        ),
        strict=False,
    ):
        made.append(
            make_activity(
                kalsel if i % 10 == 0 else bali,
                title=title,
                budget=budget,
                planned_start=start,
                planned_end=start + datetime.timedelta(days=5),
                status=status,
                target_participants=10 + i % 2,
            )
        )
    return made


def _activity_rows():
    return list(
        Activity.objects.values(
            "pk",
            "year",
            "planned_start",
            "title",
            "budget",
            "status",
            "review_status",
            "target_participants",
            code=F("province__code"),
        )
    )


def _orderings(filterset):
    """Every allowed ?urut= value, both ways, with the field it sorts on."""
    return [
        (direction + param, field)
        for param, field in filterset.base_filters["urut"].param_map.items()
        for direction in ("", "-")
    ]


#: Read under another name from the rows (the province's code is a join).
ROW_KEYS = {"province__code": "code"}


def _walk(queryset, per_page=7):
    """Every page of a queryset through the lists' paginator (small pages: many page boundaries), read both
    ways: by the page's keys first (as a deep page is) and the rows at once (as near the ends)."""
    walks = []
    for deferred_from in (0, 10**9):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(common, "DEFERRED_FROM", deferred_from)
            paginator = DeferredJoinPaginator(queryset, per_page)
            walks.append([row.pk for number in paginator.page_range for row in paginator.page(number)])
    assert walks[0] == walks[1]
    return walks[0]


def test_activity_pages_never_repeat_or_skip_a_row_under_any_ordering(pusat, activities):
    rows = _activity_rows()
    listed = Activity.objects.visible_to(pusat).select_related("province")
    for urut, field in _orderings(ActivityFilter):
        filtered = ActivityFilter({"tahun": 2020, "urut": urut}, queryset=listed, user=pusat).qs
        assert _walk(filtered) == _ordered(rows, ROW_KEYS.get(field, field), urut.startswith("-")), urut


def test_pages_of_a_list_ordered_by_year_and_province_are_read_per_province(pusat, activities):
    """The default order starts with the year and the province: counted per province, read from the one
    or two provinces a page falls in, from the end past the middle. Small pages cross every boundary."""
    ordered = Activity.objects.visible_to(pusat).order_by("-year", "province__code", "planned_start", "pk")
    rows = sorted(_activity_rows(), key=lambda r: (-r["year"], r["code"], r["planned_start"], r["pk"]))
    for per_page in (2, 7, 13):
        assert _walk(ordered, per_page) == [r["pk"] for r in rows], per_page
    backwards = ordered.reverse()
    for per_page in (2, 7):
        assert _walk(backwards, per_page) == [r["pk"] for r in reversed(rows)], per_page


def test_the_default_activity_order_is_total(pusat_client, activities):
    ids, _ = _pages_of(pusat_client, reverse("programs:activity_list"), {"tahun": 2020}, ROWS)
    rows = sorted(_activity_rows(), key=lambda r: (-r["year"], r["code"], r["planned_start"], r["pk"]))
    assert ids == [r["pk"] for r in rows]


@pytest.fixture
def firms(db):
    for i in range(ROWS):
        make_firm(
            "51" if i % 2 else "63",
            regency="51.06" if i % 2 else "63.71",
            name=f"IKM {'ABC'[i % 3]}",
            workers=None if i % 4 == 0 else 5 + i % 3,
        )


def test_firm_pages_never_repeat_or_skip_a_row_under_any_ordering(pusat, firms):
    rows = list(Firm.objects.values("pk", "name", "nib", "workers", code=F("province__code")))
    for urut, field in _orderings(FirmFilter):
        filtered = FirmFilter({"urut": urut}, queryset=Firm.objects.visible_to(pusat), user=pusat).qs
        assert _walk(filtered) == _ordered(rows, ROW_KEYS.get(field, field), urut.startswith("-")), urut


def test_the_default_firm_order_is_by_province_then_name_then_id(pusat_client, firms):
    ids, _ = _pages_of(pusat_client, reverse("programs:firm_list"), {}, ROWS)
    rows = Firm.objects.values("pk", "name", code=F("province__code"))
    assert ids == [r["pk"] for r in sorted(rows, key=lambda r: (r["code"], r["name"], r["pk"]))]


def test_page_n_of_m_is_exact(pusat_client, activities):
    response = pusat_client.get(reverse("programs:activity_list"), {"tahun": 2020, "halaman": 2})
    html = response.content.decode()
    assert "Halaman 2 dari 2" in html
    assert f"{ROWS} data" in html
    page = response.context["page"]
    assert page.paginator.count == Activity.objects.filter(year=2020).count() == ROWS
    assert len(page) == ROWS - PAGE_SIZE


@pytest.mark.parametrize(
    ("asked", "shown"),
    [("99", 2), ("3", 2), ("0", 2), ("-4", 2), ("abc", 1), ("1e400", 1), ("2.5", 1), ("", 1), ("2.0", 1)],
)
def test_a_page_out_of_range_or_malformed_opens_the_last_or_first_page(
    pusat_client, activities, asked, shown
):
    response = pusat_client.get(reverse("programs:activity_list"), {"tahun": 2020, "halaman": asked})
    assert response.status_code == 200
    assert response.context["page"].number == shown
    assert f"Halaman {shown} dari 2" in response.content.decode()


def test_an_empty_list_is_one_empty_page(pusat_client):
    response = pusat_client.get(reverse("programs:firm_list"), {"halaman": 7})
    assert response.status_code == 200
    page = response.context["page"]
    assert (page.number, page.paginator.num_pages, len(page)) == (1, 1, 0)


@pytest.mark.parametrize("deferred_from", [0, 500])
def test_a_deep_page_runs_as_many_queries_as_the_first(
    pusat_client, activities, deferred_from, monkeypatch, django_assert_max_num_queries
):
    """Both ways of reading a page: by its keys first (DEFERRED_FROM 0: every page of any depth) and, near
    the ends of a list, its rows at once."""
    monkeypatch.setattr(common, "DEFERRED_FROM", deferred_from)
    url = reverse("programs:activity_list")
    pusat_client.get(url, {"tahun": 2020})  # the caches of the first request
    counts = []
    for number in (1, 2):
        # The session, the user, the second factor, the roles; the list's three or four (below); the page's
        # firm counts (one grouped query); the bell's unread count; the province filter's choices (the
        # session is not written again: it was, less than a minute ago).
        with django_assert_max_num_queries(11), CaptureQueriesContext(connection) as ctx:
            pusat_client.get(url, {"tahun": 2020, "halaman": number})
        counts.append(len(ctx.captured_queries))
        sql = [q["sql"] for q in ctx.captured_queries]
        listed = [q for q in sql if '"programs_activity"' in q.split(" WHERE ")[0]]
        # The rows per fiscal year and province (one grouped query: the exact count), those provinces' codes
        # (below), then either the page's keys from the one or two provinces it falls in and the rows by
        # key, or the rows at once.
        assert "GROUP BY" in listed[0]
        assert (
            sum('SELECT "provinces_province"."id" AS "pk", "provinces_province"."code"' in q for q in sql)
            == 1
        )
        if deferred_from == 0:
            assert len(listed) == 3, listed
            assert ' AS "pk" FROM "programs_activity"' in listed[1] and "LIMIT" in listed[1]
            assert '"programs_activity"."id" IN (' in listed[2]
        else:
            assert len(listed) == 2, listed
            assert "LIMIT" in listed[1] and '"programs_activity"."title"' in listed[1]
    assert counts[0] == counts[1]


def test_an_operators_deep_page_holds_their_province_only(operator_client, activities):
    bali = Activity.objects.filter(province__code="51", year=2020)
    assert bali.count() > PAGE_SIZE  # so that their list has a second page
    ids, pages = _pages_of(operator_client, reverse("programs:activity_list"), {"tahun": 2020}, bali.count())
    assert pages[-1].paginator.count == bali.count()
    assert sorted(ids) == sorted(bali.values_list("pk", flat=True))
    response = operator_client.get(reverse("programs:activity_list"), {"tahun": 2020, "halaman": 2})
    assert {a.province.code for a in response.context["page"]} == {"51"}


def test_the_admin_changelist_pages_the_same_way(admin_client, activities, monkeypatch):
    monkeypatch.setattr(ActivityAdmin, "list_per_page", 10)
    url = reverse("admin:programs_activity_changelist")
    seen = []
    for number in (1, 2, 3):
        response = admin_client.get(url, {"p": number})
        assert response.status_code == 200
        seen += [a.pk for a in response.context["cl"].result_list]
    assert sorted(seen) == sorted(a.pk for a in activities)
    assert len(seen) == len(set(seen)) == ROWS


def test_a_long_history_is_paged_and_none_of_it_is_left_out(operator_client, monkeypatch):
    from programs.views import history

    monkeypatch.setattr(history, "PAGE", 2)
    firm = make_firm("51", name="IKM Versi 0")
    for n in range(1, 5):  # five versions: created, then four renames
        firm.name = f"IKM Versi {n}"
        firm.save()
    url = reverse("programs:history", args=["ikm", firm.pk])
    pages = [operator_client.get(url, {"halaman": n}) for n in (1, 2, 3)]
    assert [p.context["page"].number for p in pages] == [1, 2, 3]
    entries = [e for p in pages for e in p.context["entries"]]
    assert [e["type"] for e in entries] == ["Diubah"] * 4 + ["Dibuat"]
    # Each rename against the version before it, also across the pages' boundaries.
    renames = [next(c for c in e["changes"] if c[1] != c[2])[1:] for e in entries[:4]]
    assert renames == [(f"IKM Versi {n - 1}", f"IKM Versi {n}") for n in (4, 3, 2, 1)]
    assert "Halaman 2 dari 3" in pages[1].content.decode()
