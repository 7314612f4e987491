"""Each rule has one home: who may (programs/access.py) and the workflow (programs/workflow.py).

A grep over the code and the templates. Outside the access module (and accounts/roles.py, which only says
who has which role) nothing reads a user's roles, groups or province, a scope value, or the closed-year
rule to decide what a user may see or do; outside the workflow's table nothing names a transition's
from-states. A new page that tests `is_staff` or compares a state by hand fails here, with the line.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TREES = ["accounts", "ikm_dekon", "programs", "provinces", "templates"]

ACCESS_HOME = {"programs/access.py", "accounts/roles.py"}
WORKFLOW_HOME = {"programs/workflow.py"}

ACCESS = {
    "reads a user's roles": r"\broles_of\(|\bRole\.(ADMIN|MINISTRY|OPERATOR|VIEWER|HEAD|REGENCY_OPERATOR)\b",
    "reads a user's groups": r"groups__name|\.groups\.(filter|values|values_list|all|exists)\(",
    "tests staff or superuser status": r"\bis_superuser\b|\bis_staff\b",
    "reads a scope value": r"_visible_scope|_editable_scope|visible_provinces|editable_provinces\("
    r"|access\.ALL\b|from \.?\S*access import [^\n]*\bALL\b",
    "reads a user's province to scope": r"\buser\.province(_id)?\b",
    "reads a user's regency to scope": r"\buser\.regency(_id)?\b|regency=user\b",
    "applies the closed-year rule itself": r"closed_at__isnull|\.is_closed\b",
    # A closed month or quarter, and a province's exception until a date: access.period_open_for,
    # ScopedQuerySet.unlocked (its `period_lookups`) and access.exception_in_force decide.
    "applies the closed-period rule itself": r"until__(gte|gt|lt|lte)\b|\.until\s*(>=|>|<=|<)"
    r"|PeriodClosure\.objects\.(filter|get|exists)\([^)]*(month|period)",
}
WORKFLOW = {
    "names a transition's from-states": r"\ballowed_from\b|\bfrom_states\s*=",
    "compares a review state in a template": r"review_status\s*(==|!=|in\b)",
    "names the state a reviewer waits for": r"ReviewStatus\.SUBMITTED",
}

# Lines that match a pattern without deciding access, each with the reason.
ALLOWED = {
    # Creating the demo users gives them their roles; it decides nothing about access.
    ("programs/management/demo.py", "reads a user's roles"),
    ("programs/management/demo.py", "tests staff or superuser status"),
    ("programs/management/demo.py", "reads a user's province to scope"),
    ("programs/management/demo.py", "reads a user's regency to scope"),
    # The user admin's columns and filters show the flags an admin sets.
    ("accounts/admin.py", "tests staff or superuser status"),
    # The fiscal year's own constraint (closed_at and closed_by set together) and its services' writes.
    ("programs/models.py", "applies the closed-year rule itself"),
    ("programs/services.py", "applies the closed-year rule itself"),
    # The navbar names the user's province beside their name.
    ("templates/includes/navbar.html", "reads a user's province to scope"),
    # The ministry's periods page finds the closure it grants an exception to (programs/closing.py writes).
    ("programs/views/closing.py", "applies the closed-period rule itself"),
    # Synthetic benchmark years write past workflow states (and their events) in bulk.
    ("programs/management/synthetic.py", "names the state a reviewer waits for"),
}


def _files():
    for tree in TREES:
        for path in sorted((ROOT / tree).rglob("*")):
            if path.suffix in (".py", ".html") and "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def _findings(rules, home):
    found = []
    for name, text in _files():
        if name in home:
            continue
        for rule, pattern in rules.items():
            if (name, rule) in ALLOWED or ("template" in rule and not name.endswith(".html")):
                continue
            for number, line in enumerate(text.splitlines(), 1):
                if re.search(pattern, line):
                    found.append(f"{name}:{number}: {rule}: {line.strip()}")
    return found


def test_only_the_access_module_decides_who_may():
    assert _findings(ACCESS, ACCESS_HOME) == []


def test_only_the_workflow_table_names_the_transitions():
    assert _findings(WORKFLOW, WORKFLOW_HOME) == []


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("    if request.user.is_staff:", "tests staff or superuser status"),
        ("    mine = Firm.objects.filter(province=user.province_id)", "reads a user's province to scope"),
        ("from programs.access import ALL, get_visible_or_404", "reads a scope value"),
        ("    if Role.MINISTRY in roles_of(user):", "reads a user's roles"),
        ("    qs.exclude(year__in=FiscalYear.objects.filter(closed_at__isnull=False))", None),
        ("{% if activity.review_status == 'diajukan' %}", "compares a review state in a template"),
        ("    allowed_from=[ReviewStatus.DRAFT],", "names a transition's from-states"),
        ("    if Role.HEAD in roles_of(request.user):", "reads a user's roles"),
        ("    Activity.objects.filter(regency=request.user.regency_id)", "reads a user's regency to scope"),
        ("    open_ = exception.until >= timezone.localdate()", "applies the closed-period rule itself"),
        ("    PeriodException.objects.filter(until__gte=today)", "applies the closed-period rule itself"),
        (
            "    PeriodClosure.objects.filter(year=y, kind=k, period=month).exists()",
            "applies the closed-period rule itself",
        ),
    ],
)
def test_the_grep_catches_what_it_is_for(line, rule):
    """The patterns find the shapes the review found (a pattern that matches nothing would pass anything)."""
    rules = {**ACCESS, **WORKFLOW}
    matched = [name for name, pattern in rules.items() if re.search(pattern, line)]
    if rule is None:
        assert matched == ["applies the closed-year rule itself"]
    else:
        assert rule in matched
