"""Two-factor sign-in through the real pages: password, then the 6-digit code (or a recovery code).

These tests sign in with the password form, never with force_login (which conftest lets past the second
factor for the rest of the suite).
"""

import re
import time
import uuid

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, PathConverter, SlugConverter, UUIDConverter
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import otp
from ikm_dekon import urls as root_urls
from tests.factories import PASSWORD, with_staff_status

pytestmark = pytest.mark.django_db

VERIFY = reverse("accounts:otp_verify")
ENROL = reverse("accounts:otp_enrol")
# Reachable between the password and the code: public pages and the second-factor pages themselves.
OPEN_BEFORE_CODE = {
    "login",
    "healthz",
    "set_language",
    "logout",
    "accounts:otp_verify",
    "accounts:otp_enrol",
}


def code_for(device, *, later=0):
    """The code the phone shows now (or `later` seconds from now)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + later
    return f"{totp.token():0{device.digits}d}"


def with_device(user):
    return TOTPDevice.objects.create(user=user, name="Ponsel", confirmed=True)


def sign_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "password refused"
    assert "_auth_user_id" in client.session
    return response


def _sample(converter):
    if isinstance(converter, IntConverter):
        return 1
    if isinstance(converter, UUIDConverter):
        return uuid.uuid4()
    if isinstance(converter, SlugConverter | PathConverter):
        return "contoh"
    # str, or a converter of our own: the first sample its pattern takes
    return next(v for v in ("51", "1", "2020", "contoh", "a") if re.fullmatch(converter.regex, v))


def _named_patterns(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.app_name == "admin":
                continue  # walked below, model by model
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            yield from _named_patterns(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield prefix + p.name, p


def _project_urls():
    for name, pattern in _named_patterns(get_resolver(root_urls).url_patterns):
        if name in OPEN_BEFORE_CODE:
            continue
        kwargs = {k: _sample(c) for k, c in pattern.pattern.converters.items()}
        yield name, reverse(name, kwargs=kwargs)
    yield "admin:index", reverse("admin:index")
    for model in admin.site._registry:
        for page in ("changelist", "add"):
            name = f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}"
            yield name, reverse(name)


PROTECTED_URLS = sorted(set(_project_urls()))


def test_the_walk_covers_the_workspace_and_the_admin():
    names = {name for name, _ in PROTECTED_URLS}
    assert {"home", "provinces:list", "accounts:security", "admin:index"} <= names
    assert "admin:accounts_user_changelist" in names
    assert len(PROTECTED_URLS) > 30


@pytest.mark.parametrize("role", ["admin", "pusat"])
@pytest.mark.parametrize("has_device", [True, False], ids=["with-device", "not-enrolled"])
def test_admin_and_ministry_staff_reach_no_page_before_the_second_factor(client, role, has_device, request):
    user = request.getfixturevalue(role)
    with_staff_status(user)  # the admin's pages too wait for the second factor
    if has_device:
        with_device(user)
    sign_in(client, user)
    expected = VERIFY if has_device else ENROL
    for name, url in PROTECTED_URLS:
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, (name, url, method.__name__, response.status_code)
            assert response.url.startswith(expected + "?next="), (name, url, response.url)
    # still nothing after all that: the session is signed in but not verified
    assert client.get(reverse("home")).url.startswith(expected)


def test_only_the_second_factor_pages_sign_out_and_public_pages_answer_before_the_code(client, pusat):
    with_device(pusat)
    sign_in(client, pusat)
    assert client.get(VERIFY).status_code == 200
    assert client.get("/healthz").status_code == 200
    # the sign-in page sends a signed-in user on, to the home page, which sends them to the code
    assert client.get(reverse("login"), follow=True).redirect_chain[-1][0].startswith(VERIFY)
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session


def test_the_code_opens_the_pages_and_returns_to_the_page_asked_for(client, pusat):
    device = with_device(pusat)
    sign_in(client, pusat)
    wanted = reverse("programs:activity_list")
    response = client.get(wanted)
    assert response.url == f"{VERIFY}?next={wanted}"
    page = client.get(response.url)
    html = page.content.decode()
    assert "Verifikasi dua langkah" in html and "kode 6 digit" in html
    response = client.post(VERIFY, {"code": code_for(device), "next": wanted})
    assert response.status_code == 302 and response.url == wanted
    assert client.get(wanted).status_code == 200
    assert client.get(reverse("home")).status_code == 200
    assert client.get("/admin/").status_code == 302  # not staff: the admin's own login, not the code page
    assert not client.get("/admin/").url.startswith(VERIFY)


def test_the_session_gets_a_new_key_when_the_code_is_accepted(client, admin):
    device = with_device(admin)
    sign_in(client, admin)
    before = client.session.session_key
    client.post(VERIFY, {"code": code_for(device)})
    assert client.session.session_key != before


def test_a_wrong_code_is_refused_in_indonesian(client, admin):
    device = with_device(admin)
    sign_in(client, admin)
    right = code_for(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 200
    assert "Kode salah atau sudah kedaluwarsa" in response.content.decode()
    assert client.get(reverse("home")).url.startswith(VERIFY)
    # and straight after a wrong code even the right one waits: guessing a million codes takes forever
    response = client.post(VERIFY, {"code": right})
    assert "Terlalu banyak kode yang salah" in response.content.decode()
    assert client.get(reverse("home")).url.startswith(VERIFY)


def test_a_code_is_accepted_once(client, admin):
    device = with_device(admin)
    code = code_for(device)
    sign_in(client, admin)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    client.post(reverse("logout"))
    sign_in(client, admin)
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert "Kode salah" in response.content.decode()


def test_enrolment_shows_a_qr_code_and_the_key_then_the_recovery_codes_once(client, pusat):
    sign_in(client, pusat)
    assert client.get(reverse("home")).url.startswith(ENROL)
    page = client.get(ENROL)
    html = page.content.decode()
    assert page.status_code == 200
    assert "wajib untuk admin dan staf kementerian" in html
    assert '<svg class="qr-code" role="img"' in html and "<path d=" in html
    assert "data:" not in html and "<script>" not in html
    device = TOTPDevice.objects.get(user=pusat, confirmed=False)
    assert otp.secret_text(device) in html
    # reloading keeps the same key, so a half-scanned code stays valid
    client.get(ENROL)
    assert TOTPDevice.objects.filter(user=pusat).count() == 1

    response = client.post(ENROL, {"code": code_for(device)})
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:recovery_codes"))
    device.refresh_from_db()
    assert device.confirmed
    page = client.get(response.url)
    codes = list(StaticToken.objects.filter(device__user=pusat).values_list("token", flat=True))
    assert len(codes) == 10
    for code in codes:
        assert code in page.content.decode()
    # shown once: the page does not come back
    again = client.get(reverse("accounts:recovery_codes"))
    assert again.status_code == 302 and again.url == reverse("accounts:security")
    # enrolment verified this session
    assert client.get(reverse("home")).status_code == 200


def test_enrolment_refuses_a_wrong_code(client, admin):
    sign_in(client, admin)
    client.get(ENROL)
    response = client.post(ENROL, {"code": "000000"})
    assert "Kode salah" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=admin, confirmed=True).exists()
    assert client.get(reverse("home")).url.startswith(ENROL)


def test_with_only_the_password_nobody_enrols_a_second_phone(client, admin):
    with_device(admin)
    sign_in(client, admin)
    response = client.get(ENROL)
    assert response.url.startswith(VERIFY)
    assert client.post(ENROL, {"code": "123456"}).url.startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=admin).count() == 1


def test_a_recovery_code_works_once(client, admin):
    with_device(admin)
    codes = otp.new_recovery_codes(admin)
    sign_in(client, admin)
    response = client.post(VERIFY, {"code": codes[0].upper()}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "tersisa 9" in response.content.decode()
    client.post(reverse("logout"))
    sign_in(client, admin)
    response = client.post(VERIFY, {"code": codes[0]})
    assert response.status_code == 200 and "Kode salah" in response.content.decode()
    assert StaticToken.objects.filter(device__user=admin).count() == 9


def test_an_operator_without_a_device_signs_in_with_the_password_only(client, operator):
    sign_in(client, operator)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("accounts:security")).status_code == 200


def test_an_operator_may_enrol_and_is_then_asked_for_the_code(client, operator):
    sign_in(client, operator)
    page = client.get(reverse("accounts:security"))
    assert "Tidak aktif" in page.content.decode()
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=operator)
    client.post(ENROL, {"code": code_for(device)})
    assert "Aktif" in client.get(reverse("accounts:security")).content.decode()
    client.post(reverse("logout"))

    sign_in(client, operator)
    assert client.get(reverse("home")).url.startswith(VERIFY)
    device.refresh_from_db()
    assert client.post(VERIFY, {"code": code_for(device, later=device.step)}).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    # and may switch it off again, which ministry staff may not
    client.post(reverse("accounts:otp_disable"))
    assert not TOTPDevice.objects.filter(user=operator).exists()
    assert not StaticDevice.objects.filter(user=operator).exists()


def test_ministry_staff_cannot_switch_it_off(client, pusat):
    device = with_device(pusat)
    sign_in(client, pusat)
    client.post(VERIFY, {"code": code_for(device)})
    assert client.post(reverse("accounts:otp_disable")).status_code == 403
    assert TOTPDevice.objects.filter(user=pusat).exists()


def test_the_django_admin_needs_the_second_factor_too(client, admin):
    device = with_device(admin)
    credentials = {"username": admin.username, "password": PASSWORD, "next": "/admin/"}
    response = client.post("/admin/login/", credentials)
    assert response.status_code == 302
    response = client.get("/admin/")
    assert response.url.startswith(VERIFY)
    client.post(VERIFY, {"code": code_for(device), "next": "/admin/"})
    assert client.get("/admin/").status_code == 200


def test_new_recovery_codes_replace_the_old_ones(client, admin):
    device = with_device(admin)
    old = otp.new_recovery_codes(admin)
    sign_in(client, admin)
    client.post(VERIFY, {"code": code_for(device)})
    response = client.post(reverse("accounts:recovery_codes_new"))
    assert response.url == reverse("accounts:recovery_codes")
    new = set(StaticToken.objects.filter(device__user=admin).values_list("token", flat=True))
    assert len(new) == 10 and not new & set(old)
