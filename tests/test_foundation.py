import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import formats, translation

from ikm_dekon import urls as root_urls
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PUBLIC = {"login", "healthz", "set_language"}  # set_language: the language switch on the sign-in page
SAMPLE_KWARGS = {
    "code": "51",
    "pk": 1,
    "kind": "kegiatan",
    "action": "ajukan",
    "allocation_pk": 1,
    "period": 6,
    "year": 2020,
}


def _named_patterns(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.app_name == "admin":
                continue  # the admin guards itself with its own login page; tested below
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            yield from _named_patterns(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield prefix + p.name, p


def _project_urls():
    for name, pattern in _named_patterns(get_resolver(root_urls).url_patterns):
        kwargs = {k: SAMPLE_KWARGS[k] for k in pattern.pattern.converters}
        yield name, reverse(name, kwargs=kwargs)


PROJECT_URLS = sorted(_project_urls())


def test_the_url_walk_finds_the_pages():
    names = {name for name, _ in PROJECT_URLS}
    assert {"home", "provinces:list", "provinces:detail", "login", "healthz"} <= names


@pytest.mark.parametrize(("name", "url"), [u for u in PROJECT_URLS if u[0] not in PUBLIC])
def test_every_page_but_sign_in_needs_login(client, name, url):
    response = client.get(url)
    assert response.status_code == 302, name
    assert response.url.startswith(reverse("login") + "?next=")


def test_admin_needs_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_sign_in_page_is_public_and_in_indonesian(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="id">' in html
    assert "Masuk ke IKM Dekon" in html
    assert "Nama pengguna" in html  # Django's own Indonesian translation of the username label
    assert response.headers["Content-Language"] == "id"


def test_sign_in_and_out(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD}, follow=True)
    assert response.context["user"] == user
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_is_refused_in_indonesian(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": "salah"})
    assert response.status_code == 200
    assert "sandi yang benar" in response.content.decode().lower()


def test_english_is_the_second_language(client):
    response = client.get(reverse("login"), headers={"accept-language": "en"})
    assert '<html lang="en">' in response.content.decode()


def test_numbers_and_dates_read_the_indonesian_way():
    with translation.override("id"):
        assert formats.date_format(datetime.date(2020, 6, 15), "SHORT_DATE_FORMAT") == "15/06/2020"
        assert formats.number_format(Decimal("1250000"), use_l10n=True, force_grouping=True) == "1.250.000"
        assert formats.sanitize_separators("1.250.000") == "1250000"


def test_healthz_is_public_and_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_healthz_answers_503_without_detail_when_the_database_fails(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken(self, sql, params=None):
        raise DatabaseError("connection refused to secret-host")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert b"secret-host" not in response.content


def test_province_admin_has_search(admin_client):
    response = admin_client.get("/admin/provinces/regency/", {"q": "Bangli"})
    assert response.status_code == 200
    assert "51.06" in response.content.decode()
    response = admin_client.get("/admin/provinces/province/", {"q": "Bali"})
    assert "Bali" in response.content.decode()


def test_static_files_are_vendored_not_from_a_cdn(client):
    html = client.get(reverse("login")).content.decode()
    assert "vendor/bootstrap/css/bootstrap.min.css" in html
    assert "cdn" not in html.lower()
    assert "<script>" not in html and "style=" not in html
