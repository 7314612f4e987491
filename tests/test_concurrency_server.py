"""Issue 13's concurrency test: a real gunicorn with several workers on the test database, and requests that
arrive at the same moment (threads released by a barrier), as a double click or two people at once make them.

Scenarios: two deletes of one monthly realisation, two deletes of one handover, parallel handovers on one
output close to its produced quantity, parallel admin saves of realisations of one allocation, and parallel
writers on the outputs and handovers of one activity (the lock-order deadlock). After each: no running total
drifts from its rows, nothing is handed over beyond what was produced, every refused request got a clear
answer (a 404, or a page with a message), none got a 500, and the server's log has no deadlock in it.

Only 127.0.0.1; every loop is bounded in rounds and seconds; the server is stopped when the test ends.
"""

import datetime
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal
from functools import partial
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from programs.models import Allocation, Handover, Output, ProductType, Realisation, RecipientType

from .factories import (
    PASSWORD,
    make_activity,
    make_allocation,
    make_firm,
    make_handover,
    make_output,
    make_participation,
    make_realisation,
    make_user,
)

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgres(reason="a multi-worker server needs PostgreSQL"),
    # One pytest-xdist worker runs them all, one server at a time: the first may collect the static files
    # into the project's staticfiles/, and two multi-worker servers at once would crowd the deadlines.
    pytest.mark.xdist_group("gunicorn"),
    pytest.mark.slow,
]
ROOT = Path(__file__).resolve().parent.parent
YEAR = 2035
ROUNDS = 5
DEADLINE = 20  # seconds per scenario, whatever the rounds


# --- The server ------------------------------------------------------------------------------------------


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url():
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Server:
    def __init__(self, port, log):
        self.port, self.log = port, log

    def log_text(self):
        return self.log.read_text(errors="replace")


@pytest.fixture
def server(transactional_db, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),  # the test database, whose data the tests commit
        "DEBUG": "False",
        "SECRET_KEY": "concurrency-test-secret-key-not-for-production",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "False",
        "CONN_MAX_AGE": "0",
        "LOG_FORMAT": "text",
    }
    if not (ROOT / "staticfiles" / "staticfiles.json").exists():  # the pages' static manifest
        subprocess.run(  # noqa: S603 - our own manage.py, an argument list
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
        )
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 - our own gunicorn on the loopback
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "ikm_dekon.wsgi",
                "--workers",
                "3",
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "30",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if Browser(port).request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start:\n" + log.read_text(errors="replace")[-3000:])
            time.sleep(0.2)
        yield Server(port, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- A browser of our own: http.client with cookies and the CSRF token -------------------------------------


class Browser:
    def __init__(self, port, cookies=None):
        self.port = port
        self.cookies = dict(cookies or {})

    def clone(self):
        """Another tab of the same session (a double click sends the same cookies twice)."""
        return Browser(self.port, self.cookies)

    def request(self, method, path, data=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode({**data, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response.status, response.headers.get("Location", ""), text

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, data):
        return self.request("POST", path, data)

    def follow(self, location):
        return self.get(
            urlsplit(location).path + (f"?{urlsplit(location).query}" if urlsplit(location).query else "")
        )

    def sign_in(self, username):
        self.get("/masuk/")  # the CSRF cookie
        status, location, _text = self.post("/masuk/", {"username": username, "password": PASSWORD})
        assert status == 302, f"sign-in of {username} refused ({status})"
        return location

    def second_factor(self, device):
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        code = f"{totp.token():0{device.digits}d}"
        status, _location, _text = self.post("/akun/verifikasi/", {"code": code, "next": "/admin/"})
        assert status == 302, f"the second factor was refused ({status})"


class _FormFields(HTMLParser):
    """The fields a browser would send from the form with the given id (inputs, selects, textareas)."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields[name] = a.get("value", "on" if a.get("type") == "checkbox" else "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(html, form_id):
    parser = _FormFields(form_id)
    parser.feed(html)
    return parser.fields


# --- Running requests at the same moment -------------------------------------------------------------------


def at_once(calls):
    """Run the calls in threads released together; their results in order (an exception is re-raised)."""
    barrier = threading.Barrier(len(calls), timeout=15)
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as e:  # noqa: BLE001 - handed back to the test
            results[i] = e

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=45)
    for r in results:
        if isinstance(r, Exception):
            raise r
    return results


def outcome(browser, answer, success_text):
    """ "done", or "refused" with a clear answer (a 404, a page with a message); a 500 fails the test."""
    status, location, text = answer
    assert status < 500, f"the server answered {status}"
    if status == 404:
        return "refused"
    if status == 302:
        _status, _location, page = browser.follow(location)
        if success_text in page:
            return "done"
        assert 'class="alert' in page, "a refused request came back to a page without a message"
        return "refused"
    assert status in (200, 400, 403), status
    clear = any(mark in text for mark in ('class="alert', "errornote", "invalid-feedback", "errorlist"))
    assert clear, f"refused with {status} and no message on the page: {text[:300]!r}"
    return "refused"


def _drift():
    """Running totals that differ from their rows (read fresh from the committed data)."""
    wrong = []
    for allocation_id, stored in Allocation.objects.values_list("pk", "realised_total"):
        rows = sum(
            Realisation.objects.filter(allocation_id=allocation_id).values_list("amount", flat=True),
            Decimal(0),
        )
        if rows != stored:
            wrong.append(f"allocation {allocation_id}: realised_total {stored}, rows {rows}")
    for output in Output.objects.all():
        rows = sum(Handover.objects.filter(output=output).values_list("quantity", flat=True))
        if rows != output.handed_over_total:
            wrong.append(f"output {output.pk}: handed_over_total {output.handed_over_total}, rows {rows}")
        if rows > output.quantity:
            wrong.append(f"output {output.pk}: {rows} handed over of {output.quantity} produced")
    return wrong


def _no_deadlock(server):
    log = server.log_text()
    assert "deadlock detected" not in log.lower(), log[-4000:]
    assert "Internal Server Error" not in log, log[-4000:]


# --- The cast's people, signed in to the real server -------------------------------------------------------


def _with_real_password(user):
    """A password hash the server's own (production) hashers read: the tests' fast MD5 is test-only."""
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def bali(server, operator):
    allocation = make_allocation("51", YEAR, pagu=Decimal(5_000_000_000))
    _with_real_password(operator)
    browser = Browser(server.port)
    browser.sign_in(operator.username)
    firm = make_firm("51", "51.06")
    activity = make_activity(
        allocation, planned_start=datetime.date(YEAR, 6, 1), planned_end=datetime.date(YEAR, 7, 1)
    )
    participation = make_participation(activity, firm)
    return {
        "allocation": allocation,
        "browser": browser,
        "activity": activity,
        "participation": participation,
    }


# --- The scenarios -----------------------------------------------------------------------------------------


def test_two_deletes_of_one_realisation_at_once_delete_it_once(server, bali):
    allocation, browser = bali["allocation"], bali["browser"]
    rows = [
        make_realisation(allocation, month=m, amount=Decimal(100_000_000 + m)) for m in range(1, ROUNDS + 2)
    ]
    started = time.monotonic()
    for row in rows[:ROUNDS]:
        if time.monotonic() - started > DEADLINE:
            break
        url = f"/realisasi/{row.pk}/hapus/"
        tabs = [browser.clone(), browser.clone()]
        answers = at_once([partial(t.post, url, {"version": row.version}) for t in tabs])
        results = [outcome(t, a, "Realisasi dihapus.") for t, a in zip(tabs, answers, strict=True)]
        assert sorted(results) == ["done", "refused"], (row.month, results)
        assert not Realisation.objects.filter(pk=row.pk).exists()
        assert _drift() == [], row.month
    _no_deadlock(server)


def test_two_deletes_of_one_handover_at_once_delete_it_once(server, bali):
    browser = bali["browser"]
    output = make_output(bali["participation"], quantity=10_000)
    handovers = [make_handover(output, quantity=100 + n) for n in range(ROUNDS + 1)]
    started = time.monotonic()
    for handover in handovers[:ROUNDS]:
        if time.monotonic() - started > DEADLINE:
            break
        url = f"/penyerahan/{handover.pk}/hapus/"
        tabs = [browser.clone(), browser.clone()]
        answers = at_once([partial(t.post, url, {"version": handover.version}) for t in tabs])
        results = [outcome(t, a, "Penyerahan dihapus.") for t, a in zip(tabs, answers, strict=True)]
        assert sorted(results) == ["done", "refused"], results
        assert _drift() == []
    _no_deadlock(server)


def test_parallel_handovers_never_exceed_what_was_produced(server, bali):
    browser = bali["browser"]
    started = time.monotonic()
    for n in range(3):
        if time.monotonic() - started > DEADLINE:
            break
        output = make_output(bali["participation"], quantity=100)
        make_handover(output, quantity=10)
        url = f"/hasil/{output.pk}/penyerahan/tambah/"
        tabs = [browser.clone() for _ in range(4)]

        data = {
            "recipient_type": RecipientType.PUBLIC,
            "recipient": "",
            "recipient_name": "Masyarakat umum",
            "handed_on": f"20/07/{YEAR}",
            "quantity": 30,
        }
        answers = at_once(
            [
                partial(t.post, url, {**data, "bast_number": f"BAST/SERENTAK/{n}/{i}"})
                for i, t in enumerate(tabs)
            ]
        )
        results = [outcome(t, a, "Penyerahan dicatat:") for t, a in zip(tabs, answers, strict=True)]
        assert results.count("done") == 3, results  # 10 + 3 × 30 fits in 100, a fourth does not
        assert sum(Handover.objects.filter(output=output).values_list("quantity", flat=True)) == 100
        assert _drift() == []
    _no_deadlock(server)


def _admin_browser(server, user):
    _with_real_password(user)
    device = TOTPDevice.objects.create(user=user, name="Ponsel", confirmed=True)
    browser = Browser(server.port)
    browser.sign_in(user.username)
    browser.second_factor(device)
    return browser


def test_parallel_admin_saves_of_realisations_do_not_drift_and_a_stale_save_is_refused(server, bali, admin):
    allocation = bali["allocation"]
    rows = [make_realisation(allocation, month=m, amount=Decimal(200_000_000)) for m in (1, 2)]
    # Two people at once: the cast's admin and a second one, whom the cast does not have.
    second = make_user("admin-2", "admin", is_staff=True, is_superuser=True)
    admins = [_admin_browser(server, admin), _admin_browser(server, second)]
    started = time.monotonic()
    for n in range(ROUNDS):
        if time.monotonic() - started > DEADLINE:
            break
        # Odd rounds: both edit the same month (one of them is stale); even rounds: one month each.
        targets = [rows[0], rows[0]] if n % 2 else rows
        forms = []
        for admin, row in zip(admins, targets, strict=True):
            status, _location, page = admin.get(f"/admin/programs/realisation/{row.pk}/change/")
            assert status == 200, status
            fields = form_fields(page, "realisation_form")
            assert "amount" in fields, sorted(fields)
            forms.append(fields)
        answers = at_once(
            [
                partial(
                    a.post,
                    f"/admin/programs/realisation/{r.pk}/change/",
                    {**f, "amount": str(150_000_000 + 10_000_000 * (n + 1) * (i + 1)), "_save": "Simpan"},
                )
                for i, (a, r, f) in enumerate(zip(admins, targets, forms, strict=True))
            ]
        )
        statuses = [a[0] for a in answers]
        assert all(s < 500 for s in statuses), statuses
        assert _drift() == [], (n, statuses)
        if targets[0] == targets[1]:
            assert statuses.count(302) == 1, f"both saves of one month were taken, one was stale: {statuses}"
            refused = next(a for a in answers if a[0] != 302)
            assert "errornote" in refused[2] or "errorlist" in refused[2], (
                "a stale save came back without a message"
            )
        else:
            assert statuses == [302, 302], statuses
    _no_deadlock(server)


def test_parallel_writers_on_one_activity_never_deadlock_into_a_server_error(server, bali):
    """An operator edits outputs (changing their product type) while another hands them over: Output.save
    and Handover.save must take the output and tally rows in one order (or retry)."""
    browser = bali["browser"]
    outputs = [
        make_output(bali["participation"], quantity=100_000, product_type=ProductType.MASK) for _ in range(2)
    ]
    for output in outputs:
        make_handover(output, quantity=10, recipient_type=RecipientType.HEALTH_FACILITY)
    started = time.monotonic()
    for n in range(ROUNDS * 2):
        if time.monotonic() - started > DEADLINE:
            break
        calls = []
        for i, output in enumerate(outputs):
            output.refresh_from_db()
            product_type = ProductType.HAZMAT if output.product_type == ProductType.MASK else ProductType.MASK
            edit = {
                "participation": output.participation_id,
                "product": output.product,
                "product_type": product_type,
                "quantity": output.quantity + 1,
                "unit": output.unit,
                "produced_on": output.produced_on.strftime("%d/%m/%Y"),
                "meets_standard": "on",
                "version": output.version,
            }
            handover = {
                "recipient_type": RecipientType.HEALTH_FACILITY,
                "recipient": "",
                "recipient_name": "Puskesmas",
                "handed_on": f"20/07/{YEAR}",
                "quantity": 1,
                "bast_number": f"BAST/KUNCI/{n}/{i}",
            }
            calls.append(partial(browser.clone().post, f"/hasil/{output.pk}/ubah/", edit))
            calls.append(partial(browser.clone().post, f"/hasil/{output.pk}/penyerahan/tambah/", handover))
        answers = at_once(calls)
        statuses = [a[0] for a in answers]
        assert all(s < 500 for s in statuses), f"round {n}: {statuses}\n{server.log_text()[-3000:]}"
        assert _drift() == [], n
    _no_deadlock(server)
