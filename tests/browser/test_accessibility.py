"""axe-core (vendored in tests/browser/vendor/axe-core/, never served) on every page of a provincial operator:
no violation of impact "serious" or "critical" — unlabelled controls, duplicate ids that labels point at,
contrast, names of buttons and links, a scroll box a keyboard cannot reach.

The pages are those of tests/browser/test_phone_layout.py (the URL conf's, as the operator may open them).
axe is injected by Playwright into a context that bypasses the Content Security Policy, for this tool only:
the pages themselves run no inline script.
"""

from pathlib import Path

import pytest

from tests.browser.test_phone_layout import (
    WORKERS,
    Job,
    all_pages,
    phone_world,
    run_in_parallel,
    session_cookie,
)

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
# Only violations are collected (passes and incomplete results cost time and are not asserted).
RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ['violations'] });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, targets:
      v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }))
}"""


def check_axe(page, role, slug, url, problems):
    page.add_script_tag(path=str(AXE))
    for v in page.evaluate(RUN):
        problems.append(f"{slug} ({url}): {v['impact']} {v['id']} at {v['targets']}")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.browser
@pytest.mark.slow
def test_no_serious_or_critical_violation_on_the_operators_pages(
    live_server, operator, operator_b, pusat, viewer, admin, kadis
):
    world = phone_world(operator, operator_b, pusat, viewer, admin, kadis)
    cookie = session_cookie(world.users["op_a"])
    pages = all_pages(world, live_server.url)
    # the operator's pages in WORKERS shares, one context each, bypassing the CSP to inject axe
    options = {"viewport": DESKTOP, "bypass_csp": True}
    jobs = [Job("operator", cookie, pages[i::WORKERS], check_axe, options) for i in range(WORKERS)]
    run_in_parallel(jobs, live_server.url)
    checked = [slug for job in jobs for slug in job.opened]
    found = [p for job in jobs for p in job.problems]
    assert len(checked) >= 40 and {"activities", "activity", "firms", "budget"} <= set(checked), checked
    assert not found, "\n".join(found)
