"""English as the second language: the sign-in page and the workspace in English, the language switch (for
anyone, also half-way through the two-factor sign-in), the translation catalogue complete and consistent,
and English pages that still write dates day first and money in Rupiah.
"""

import ast
import datetime
import gettext
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import formats, translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from programs.templatetags.ikm import rupiah
from tests.factories import PASSWORD, make_activity, make_allocation

pytestmark = pytest.mark.django_db

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
SET_LANGUAGE = reverse("set_language")
LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME


@pytest.fixture(autouse=True)
def _back_to_indonesian_after_each_test():
    """A request in English leaves English active in this thread (LocaleMiddleware activates, nothing
    deactivates); the next test module must not start in English."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


# --- A tiny .po reader -------------------------------------------------------------------------------------


def po_entries(path=PO):
    """Every entry but the header and obsolete ones: {msgid, msgid_plural, msgstr: {index: text}, flags}."""
    entries, entry, field = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry is not None and entry["msgid"] and not entry["obsolete"]:
                entries.append(entry)
            entry, field = None, None
            continue
        if entry is None:
            entry = {"msgid": "", "msgid_plural": None, "msgstr": {}, "flags": set(), "obsolete": False}
        if line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif match := re.match(r"^(msgid|msgid_plural|msgstr)(?:\[(\d+)\])? (\".*\")$", line):
            key, index, text = match.group(1), match.group(2), ast.literal_eval(match.group(3))
            field = (key, int(index or 0))
            if key == "msgstr":
                entry["msgstr"][field[1]] = text
            else:
                entry[key] = text
        elif line.startswith('"') and field is not None:
            text = ast.literal_eval(line)
            if field[0] == "msgstr":
                entry["msgstr"][field[1]] += text
            else:
                entry[field[0]] += text
    return entries


PLACEHOLDER = re.compile(r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%%|%[sd]|\{\{\s*\w+\s*\}\}|\{\w*\}")


def placeholders(text):
    return sorted(PLACEHOLDER.findall(text))


# --- The pages in English ----------------------------------------------------------------------------------


def test_the_sign_in_page_speaks_english_when_the_browser_asks_for_it(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"
    assert '<html lang="en">' in html
    assert "Sign in to IKM Dekon" in html  # our own string
    assert "Masuk ke IKM Dekon" not in html
    assert "Username" in html  # Django's own
    assert "Times are shown in WIB" in html


@pytest.mark.parametrize("accept", [None, "fr", "id", "id,en;q=0.5"])
def test_indonesian_stays_the_default(client, accept):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept} if accept else {}
    response = client.get(reverse("login"), **headers)
    html = response.content.decode()
    assert response.headers["Content-Language"] == "id"
    assert '<html lang="id">' in html
    assert "Masuk ke IKM Dekon" in html
    assert "Sign in to IKM Dekon" not in html


def test_the_sign_in_page_offers_the_language_switch(client):
    html = client.get(reverse("login")).content.decode()
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', html, re.S)
    assert form and form.group(1) == SET_LANGUAGE
    assert 'name="csrfmiddlewaretoken"' in form.group(2)
    assert '<input type="hidden" name="next" value="/masuk/">' in form.group(2)
    assert '<option value="en" lang="en">English</option>' in form.group(2)
    assert '<option value="id" lang="id" selected>Bahasa Indonesia</option>' in form.group(2)
    assert "<script>" not in html  # no inline script: the Content Security Policy forbids it


def test_an_anonymous_visitor_switches_to_english_and_back(client):
    response = client.post(SET_LANGUAGE, {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert response.cookies[LANGUAGE_COOKIE].value == "en"
    html = client.get(response.url).content.decode()
    assert "Sign in to IKM Dekon" in html
    assert '<option value="en" lang="en" selected>English</option>' in html

    client.post(SET_LANGUAGE, {"language": "id", "next": reverse("login")})
    assert "Masuk ke IKM Dekon" in client.get(reverse("login")).content.decode()


def test_the_switch_goes_through_the_csrf_check(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(SET_LANGUAGE, {"language": "en", "next": "/masuk/"}).status_code == 403
    page = strict.get(reverse("login"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = strict.post(SET_LANGUAGE, {"language": "en", "next": "/masuk/", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response.cookies[LANGUAGE_COOKIE].value == "en"


def test_the_switch_returns_only_to_this_site(client):
    response = client.post(SET_LANGUAGE, {"language": "en", "next": "https://elsewhere.example/"})
    assert response.status_code == 302
    assert "elsewhere.example" not in response.url


def test_a_signed_in_operator_switches_to_english(client, operator):
    allocation = make_allocation("51", year=datetime.date.today().year)
    client.force_login(operator)
    home = client.get(reverse("home")).content.decode()
    assert "Selamat datang" in home
    assert f'action="{SET_LANGUAGE}"' in home  # the switch is in the navigation bar

    response = client.post(SET_LANGUAGE, {"language": "en", "next": reverse("home")})
    assert response.status_code == 302
    assert response.url == reverse("home")
    response = client.get(response.url)
    html = response.content.decode()
    assert response.headers["Content-Language"] == "en"
    assert "Welcome, op-51" in html
    assert ">Activities</a>" in html and ">Sign out</button>" in html
    assert "Provincial operator" in html  # the role label in the navigation bar
    assert f"{allocation.province} allocation" in html
    assert "Selamat datang" not in html


def test_the_switch_works_half_way_through_the_two_factor_sign_in(client, pusat):
    TOTPDevice.objects.create(user=pusat, name="Ponsel", confirmed=True)
    client.post(reverse("login"), {"username": pusat.username, "password": PASSWORD})
    verify = reverse("accounts:otp_verify")
    assert client.get(reverse("home")).url.startswith(verify)  # signed in with the password only
    page = client.get(verify)
    assert page.status_code == 200
    assert f'action="{SET_LANGUAGE}"' in page.content.decode()

    response = client.post(SET_LANGUAGE, {"language": "en", "next": verify})
    assert response.status_code == 302
    assert response.url == verify
    html = client.get(verify).content.decode()
    assert "Two-step verification" in html
    assert "Open the authenticator app" in html
    # Switching the language let nobody past the code.
    assert client.get(reverse("home")).url.startswith(verify)


# --- The catalogue -----------------------------------------------------------------------------------------


def test_the_catalogue_has_no_untranslated_and_no_fuzzy_entries():
    entries = po_entries()
    assert len(entries) > 500
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values()) or not e["msgstr"]]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []
    plurals = [e for e in entries if e["msgid_plural"] is not None]
    assert plurals and all(sorted(e["msgstr"]) == [0, 1] for e in plurals)
    header = PO.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert "#, fuzzy" not in header
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in header
    assert '"Language: en\\n"' in header


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="gettext tools not installed")
def test_msgfmt_checks_the_catalogue():
    result = subprocess.run(  # noqa: S603 - fixed arguments
        ["msgfmt", "--check-format", "--statistics", "-o", "/dev/null", str(PO)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin:/usr/local/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr
    assert "fuzzy" not in result.stderr


def test_every_translation_keeps_the_placeholders_of_its_source():
    wrong = []
    for e in po_entries():
        if e["msgid_plural"] is None:
            pairs = [(e["msgid"], e["msgstr"][0])]
        else:
            pairs = [(e["msgid"], e["msgstr"][0]), (e["msgid_plural"], e["msgstr"][1])]
        for source, translated in pairs:
            if placeholders(source) != placeholders(translated):
                wrong.append((source, translated))
    assert wrong == []


def test_the_committed_mo_is_compiled_from_the_po():
    with MO.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    stale = []
    for e in po_entries():
        if e["msgid_plural"] is None:
            if catalogue.gettext(e["msgid"]) != e["msgstr"][0]:
                stale.append(e["msgid"])
        elif (
            catalogue.ngettext(e["msgid"], e["msgid_plural"], 1),
            catalogue.ngettext(e["msgid"], e["msgid_plural"], 2),
        ) != (e["msgstr"][0], e["msgstr"][1]):
            stale.append(e["msgid"])
    assert stale == [], "run: manage.py compilemessages -l en"


# --- Dates and money in English ----------------------------------------------------------------------------


def test_english_writes_dates_day_first_and_money_in_rupiah():
    moment = datetime.datetime(2020, 6, 15, 14, 30, tzinfo=datetime.UTC)
    with translation.override("en"):
        assert formats.date_format(datetime.date(2020, 6, 15), "SHORT_DATE_FORMAT") == "15/06/2020"
        assert formats.date_format(datetime.date(2020, 6, 15)) == "15 June 2020"
        rendered = Template('{{ t|date:"SHORT_DATETIME_FORMAT" }} {{ t|date:"DATETIME_FORMAT" }}').render(
            Context({"t": moment})
        )
        assert rendered == "15/06/2020 21:30 15 June 2020 21:30"  # shown in WIB
        assert rupiah(Decimal("1250000")) == "Rp 1.250.000"
        assert "%d/%m/%Y" in formats.get_format("DATE_INPUT_FORMATS")
        assert formats.get_format("DATETIME_INPUT_FORMATS")[0] == "%d/%m/%Y %H:%M"


def test_an_english_activity_page_reads_as_the_ministry_writes(client, operator):
    activity = make_activity(make_allocation("51", year=2020))
    client.force_login(operator)
    client.cookies[LANGUAGE_COOKIE] = "en"
    html = client.get(activity.get_absolute_url()).content.decode()
    assert "15/06/2020 – 15/07/2020" in html  # planned dates, day first
    assert "Rp 150.000.000" in html
    assert "Technical training (bimtek)" in html
    assert "Combined online and offline" in html


# --- Import files speak Indonesian whatever the interface language ----------------------------------------


def test_an_import_in_english_still_takes_the_indonesian_labels_of_the_template():
    from programs.imports import columns as resources
    from programs.models import Sector, Sex

    with translation.override("id"):
        sectors = [str(label) for label in Sector.labels]
        sexes = [str(label) for label in Sex.labels]
    with translation.override("en"):
        columns = {c.key: c for c in [*resources.firm_columns(), *resources.people_columns()]}
        for label in sectors:
            assert columns["sector"].parse(label, [])
        for label in sexes:
            assert columns["sex"].parse(label, [])


# --- Labels built at import time follow each request's language --------------------------------------------


def test_history_labels_and_transition_messages_follow_the_language_of_the_request(client, operator):
    """History entry types, transition messages and the stale-edit message are defined at module level;
    built with gettext there, they would be frozen in whatever language was active at import."""
    from tests.factories import make_firm, make_participation

    activity = make_activity(make_allocation("51", year=2020))
    participation = make_participation(activity, make_firm("51"))
    client.force_login(operator)
    history = reverse("programs:activity_history", args=[activity.pk])

    client.cookies[LANGUAGE_COOKIE] = "en"
    assert "<strong>Created</strong>" in client.get(history).content.decode()
    stale = client.post(
        reverse("programs:participation_delete", args=[participation.pk]), {"version": "999"}, follow=True
    )
    assert "Someone else changed this data since you opened it." in stale.content.decode()
    submitted = client.post(
        reverse("programs:activity_transition", args=[activity.pk, "ajukan"]), follow=True
    )
    assert "Submitted for verification." in submitted.content.decode()

    client.cookies[LANGUAGE_COOKIE] = "id"
    html = client.get(history).content.decode()
    assert "<strong>Dibuat</strong>" in html and "<strong>Diubah</strong>" in html


def _module_level_gettext_calls(path):
    """Calls of a non-lazy gettext that run at import time: module or class level, or a default value."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    eager = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
        for alias in node.names
        if alias.name in ("gettext", "ngettext", "pgettext", "npgettext")
    }
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                for default in [
                    *child.args.defaults,
                    *child.args.kw_defaults,
                    *getattr(child, "decorator_list", []),
                ]:
                    if default is not None:
                        visit(ast.Module(body=[ast.Expr(default)], type_ignores=[]), in_function)
                visit(child, True)
                continue
            if not in_function and isinstance(child, ast.Call) and getattr(child.func, "id", None) in eager:
                found.append(f"{path.relative_to(settings.BASE_DIR)}:{child.lineno}")
            visit(child, in_function)

    visit(tree, False)
    return found


def test_no_module_builds_a_translated_text_at_import_time():
    base = Path(settings.BASE_DIR)
    skipped = {".venv", "node_modules", "staticfiles", "bench", "tests"}
    sources = [p for p in base.rglob("*.py") if not skipped & set(p.relative_to(base).parts)]
    assert len(sources) > 30
    frozen = [hit for path in sources for hit in _module_level_gettext_calls(path)]
    assert frozen == [], "use gettext_lazy for text built at import time"
