"""bench/pages.py, the benchmark's catalogue of pages: every named URL is measured or said why not, and every
page's URL can be built from a dataset's objects (a builder that no longer reverses would stop the bench)."""

from types import SimpleNamespace

from django.test import override_settings
from django.urls import resolve

from bench import pages
from bench.run import last_page


@override_settings(ROOT_URLCONF="bench.urls")
def test_every_url_is_measured_or_said_why_not():
    assert len(pages.url_names()) > 80
    unplaced, lost = pages.unplaced()
    assert not unplaced, (
        f"place these URLs in bench/pages.py PAGES (measured) or NOT_PAGES (why not): {unplaced}"
    )
    assert not lost, f"names in bench/pages.py that the URL conf lost: {lost}"


@override_settings(ROOT_URLCONF="bench.urls")
def test_a_new_url_fails_the_walk(monkeypatch):
    monkeypatch.delitem(pages.PAGES, "programs:calendar")
    assert pages.unplaced()[0] == {"programs:calendar"}


@override_settings(ROOT_URLCONF="bench.urls")
def test_every_page_builds_from_a_world_and_resolves_to_its_name():
    thing = SimpleNamespace(pk=7)
    w = pages.World(
        code="51",
        year=2025,
        **{k: thing for k in pages.World.__dataclass_fields__ if k not in ("code", "year")},
    )
    for name, label, build in pages.every_page():
        url = build(w)
        match = resolve(url.split("?")[0])
        assert match.view_name == name or (name, match.view_name) == (
            "programs:budget",
            "programs:allocation_detail",
        ), label


def test_a_page_without_its_object_in_the_dataset_is_said_so():
    w = pages.World(code="51", year=2025)
    assert pages.PAGES["programs:package_detail"]["package"](w) is None


def test_the_issues_pages_have_their_limits_and_the_others_the_larger():
    assert pages.limit_of("programs:activity_list") == (12, True)
    assert pages.limit_of("programs:review_queue") == (25, True)
    assert pages.limit_of("programs:calendar") == (25, False)
    for name, (label, _limit) in pages.TARGET_PAGES.items():
        assert label in pages.PAGES[name], "a target page the walk would not measure"


def test_the_last_page_is_read_from_the_pager():
    body = b'<a href="?tahun=2025&amp;halaman=2">next</a> <a href="?tahun=2025&amp;halaman=6081">&raquo;</a>'
    assert last_page(body, "halaman") == 6081
    assert last_page(b'<a href="?p=3">3</a><a href="?q=1&p=12">12</a>', "p") == 12
    assert last_page(b"<p>25 data</p>", "halaman") == 1
