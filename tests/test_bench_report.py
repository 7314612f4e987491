"""bench/report.py's verdicts: a target met says met, a missed one says by how much, a target measured at
another scale than its own says so, and every page of every role and of the load mix is judged (none hides
behind an average). Pure functions of a run's JSON: no database."""

import pytest

from bench import report
from bench.report import Check, limit_check

SCALES = [1, 100]


def _page(name, label, **medians):
    return {
        "name": name,
        "label": label,
        "roles": {role: {"median_ms": ms, "queries": [9]} for role, ms in medians.items()},
    }


def _run(list_ms=50.0, csv_s=8.0, p95=(120.0, 90.0), capacity=130.0, quick=False, scales=SCALES):
    def results(scale):
        grow = 1.5 if scale == 100 else 1.0
        return {
            "repeats": 7,
            "pages": {
                "programs:activity_list|activity list": _page(
                    "programs:activity_list", "activity list", pusat=9.0 * grow, **{"op-51": 8.0}
                ),
                "programs:calendar|calendar": _page("programs:calendar", "calendar", pusat=20.0 * grow),
                "programs:package_detail|package": {
                    "name": "programs:package_detail",
                    "label": "package",
                    "roles": {"pusat": {"status": "no object in the dataset"}},
                },
            },
            "lists": {
                "programs:activity_list|pusat": {
                    "name": "programs:activity_list",
                    "role": "pusat",
                    "pages": 6080,
                    "depth": {
                        "first": {"page": 1, "median_ms": 10.0, "queries": [9]},
                        "middle": {"page": 3040, "median_ms": list_ms, "queries": [9]},
                        "last": {"page": 6080, "median_ms": 12.0, "queries": [9]},
                    },
                }
            },
            "reference_ms": 1000.0 * scale,
            "recap_ms": 20.0,
            "exact": {"figures": 1170, "differing": 0, "examples": []},
            "activity": {"pk": 1, "outputs": 25, "status": "draft"},
        }

    def export(seconds, peak_mb):
        return {
            "seconds": seconds,
            "first_byte_seconds": 0.2,
            "peak_bytes": peak_mb * 2**20,
            "size": 2**20,
            "streaming": True,
        }

    def phase(rps, pages):
        return {
            "seconds": 60,
            "requests": 600,
            "rps": rps,
            "p50_ms": 40,
            "p95_ms": 100,
            "errors": 0,
            "error_samples": [],
            "pages": {n: {"requests": 100, "p50_ms": 40, "p95_ms": p, "errors": 0} for n, p in pages.items()},
            "generator_cpu_s": 6.0,
            "generator_share": 0.05,
            "generator_us_per_request": 300,
        }

    mix = {"activity list": p95[0], "quarterly report": p95[1]}
    loads = {
        max(scales): {
            "think": {"app": phase(15, mix), "bare": phase(15, {"bare page": 5}), "loadavg": [1, 1]},
            "saturated": {
                "app": phase(capacity, mix),
                "bare": phase(700, {"bare page": 5}),
                "loadavg": [1, 1],
            },
        }
    }
    return {
        "scales": scales,
        "quick": quick,
        "year": 2025,
        "wall_seconds": 100.0,
        "results": {s: results(s) for s in scales},
        "facts": {
            s: {
                "build_seconds": 500.0,
                "built_at": "2026-12-02 01:20:03+00",
                "commit": None,
                "reused": True,
                "db_bytes": 2**30,
                "loadavg": 1.0,
                "counts": dict.fromkeys(
                    (
                        "activity",
                        "participation",
                        "output",
                        "handover",
                        "participation_all_years",
                        "participation_history",
                    ),
                    1,
                ),
            }
            for s in scales
        },
        "memory": {
            s: {
                "activities CSV": export(csv_s if s == 100 else 0.1, 10 if s == 100 else 5),
                "activities XLSX": export(20.0, 12),
            }
            for s in scales
        },
        "imports": {s: {"rows_per_second": 6000} for s in scales},
        "loads": loads,
    }


def _by_start(checks, start):
    found = [c for c in checks if c.target.startswith(start)]
    assert found, start
    return found


def test_a_missed_limit_says_by_how_much():
    check = limit_check("page ≤ 12 ms", 15.0, 12, "ms")
    assert not check.ok
    assert check.verdict() == "**missed** by 3.0 ms (25%)"
    assert limit_check("page ≤ 12 ms", 12.0, 12, "ms").verdict() == "met"
    at_least = limit_check("≥ 120 req/s", 90.0, 120, "req/s", at_most=False)
    assert at_least.verdict() == "**missed** by 30.0 req/s (25%)"
    assert limit_check("p95 < 150", 150.0, 150, "ms", strict=True).ok is False
    assert limit_check("x", None, 1, "s").verdict() == "**not measured**"


def test_every_page_is_judged_by_its_worst_role_and_scale():
    checks = report.run_checks(_run())
    (activity_list,) = _by_start(checks, "activity list ≤ 12 ms")
    assert activity_list.ok is False and activity_list.by == "1.5 ms (12%)"
    assert "worst 13.5 ms (pusat, 100x)" in activity_list.measured
    (calendar,) = _by_start(checks, "calendar ≤ 25 ms")
    assert "(not in the issue's list)" in calendar.target
    assert calendar.ok is False and calendar.by.startswith("5.0 ms")
    (package,) = _by_start(checks, "package ≤ 25 ms")
    assert package.ok is None and "no object in the dataset" in package.measured


def test_a_deep_list_page_over_the_limit_is_missed():
    assert _by_start(report.run_checks(_run(list_ms=50.0)), "programs:activity_list as pusat")[0].ok
    (deep,) = _by_start(report.run_checks(_run(list_ms=345.0)), "programs:activity_list as pusat")
    assert (
        deep.ok is False and "middle, page 3,040 of 6,080" in deep.measured and deep.by.startswith("245.0 ms")
    )


def test_every_page_of_the_load_mix_has_its_p95_verdict_and_the_capacity_its_own():
    checks = report.run_checks(_run(p95=(160.0, 90.0), capacity=100.0))
    (listed,) = _by_start(checks, "activity list: p95")
    (quarterly,) = _by_start(checks, "quarterly report: p95")
    assert listed.ok is False and listed.by.startswith("10.0 ms") and quarterly.ok
    (capacity,) = _by_start(checks, "capacity")
    assert (
        capacity.ok is False
        and capacity.by.startswith("20.0 req/s")
        and "generator took 5%" in capacity.measured
    )


def test_exports_at_100x_and_their_memory_growth():
    checks = report.run_checks(_run(csv_s=12.5))
    (csv,) = _by_start(checks, "national activity list as CSV")
    assert csv.ok is False and csv.by.startswith("2.5 s")
    (growth,) = _by_start(checks, "activities CSV: memory growth")
    assert growth.ok and growth.measured == "5.0 MB"
    assert all(c.ok for c in _by_start(checks, "activities") if "first byte" in c.target)


def test_a_quick_run_shows_the_100x_targets_at_1x_without_a_verdict():
    checks = report.run_checks(_run(quick=True, scales=[1], list_ms=345.0))
    (deep,) = _by_start(checks, "programs:activity_list as pusat")
    assert "not run at 100x: the figure is 1x's" in deep.target and deep.ok is None
    assert "worst 345.0 ms" in deep.measured
    (build,) = _by_start(checks, "the 100x dataset builds")
    assert build.ok is None
    (activity_list,) = _by_start(checks, "activity list ≤ 12 ms")
    assert activity_list.ok, "the pages' targets hold at 1x too: judged"
    (quick,) = _by_start(checks, "make bench QUICK=1")
    assert quick.ok
    assert _by_start(checks, "queries per page")[0].ok is None


def test_the_build_says_when_and_with_which_code():
    (build,) = _by_start(report.run_checks(_run()), "the 100x dataset builds")
    assert (
        build.ok and "reused, built 2026-12-02 01:20" in build.measured and "not recorded" in build.measured
    )


@pytest.mark.parametrize("differing", [0, 3])
def test_the_recap_is_exact_or_missed(differing):
    run = _run()
    run["results"][100]["exact"]["differing"] = differing
    (exact,) = _by_start(report.run_checks(run), "every recap figure")
    assert exact.ok is (differing == 0)


def test_the_report_renders_a_verdict_for_every_check():
    run = _run()
    info = {
        "date": "d",
        "cores": 2,
        "cpu": "c",
        "memory_gib": 8,
        "postgresql": "16",
        "python": "3.11",
        "os": "l",
        "disk_free_gib": 1,
    }
    lines, checks = report.report(run, info)
    text = "\n".join(lines)
    assert all(c.verdict() in text for c in checks)
    assert isinstance(checks[0], Check) and "## Lists, however deep" in text
