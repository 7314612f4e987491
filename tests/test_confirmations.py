"""Every form that deletes, revokes, closes or turns a protection off asks before it is sent.

static/js/app.js asks `window.confirm` for a form with `data-confirm`; this scan of the templates finds any
such form without it, so a new delete button cannot forget to ask (issue 18: "every delete asks for
confirmation").
"""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
#: The URL names whose form undoes or locks something: deletes, revocations, closing a period, the second
#: factor turned off, the recovery codes replaced.
ASKS_FIRST = re.compile(
    r"_delete|_revoke|period_close|period_reopen|otp_disable|recovery_codes_new|activity_delete"
)
FORM = re.compile(r"<form\b[^>]*>", re.S)


def forms_asking_first():
    for path in sorted(TEMPLATES.rglob("*.html")):
        for tag in FORM.findall(path.read_text(encoding="utf-8")):
            action = re.search(r"""action="([^"]*)\"""", tag)
            if action and ASKS_FIRST.search(action.group(1)):
                yield path.relative_to(TEMPLATES), tag


def test_every_destructive_form_asks_for_confirmation():
    found = list(forms_asking_first())
    # The scan sees the forms it is about: the activity page's deletes, the attachment's, the achievement's,
    # the exception's revoke, the period's close and reopen, the security page's two.
    assert len(found) >= 10, found
    missing = [f"{path}: {tag}" for path, tag in found if "data-confirm=" not in tag]
    assert not missing, "\n".join(missing)
