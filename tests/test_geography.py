import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from provinces.models import Province, Regency

pytestmark = pytest.mark.django_db

NEW_PAPUA_PROVINCES = {"93", "94", "95", "96"}


def test_it_loads_every_official_province_and_regency():
    assert Province.objects.count() == 38
    assert Regency.objects.count() == 514
    assert Regency.objects.filter(kind="kabupaten").count() == 416
    assert Regency.objects.filter(kind="kota").count() == 98


def test_it_has_34_provinces_in_2020_and_38_in_2023():
    assert Province.objects.active_in(2020).count() == 34
    assert Province.objects.active_in(2021).count() == 34
    assert Province.objects.active_in(2023).count() == 38
    assert (
        set(
            Province.objects.active_in(2023)
            .exclude(pk__in=Province.objects.active_in(2020))
            .values_list("code", flat=True)
        )
        == NEW_PAPUA_PROVINCES
    )


def test_the_spot_checks_of_the_official_codes():
    assert Province.objects.get(code="16").name == "Sumatera Selatan"
    assert Province.objects.get(code="51").name == "Bali"
    assert Province.objects.get(code="63").name == "Kalimantan Selatan"
    assert Province.objects.get(code="72").name == "Sulawesi Tengah"
    bangli = Regency.objects.get(code="51.06")
    assert bangli.name == "Kabupaten Bangli"
    assert bangli.province.code == "51"
    assert bangli.kind == "kabupaten"


def test_merauke_counts_under_papua_in_2020_and_papua_selatan_in_2023():
    papua = Province.objects.get(code="91")
    papua_selatan = Province.objects.get(code="93")
    merauke = Regency.objects.get(name="Kabupaten Merauke")
    assert merauke.code == "93.01"
    assert merauke.code_in(2020) == "91.01"
    assert merauke.province_in(2020) == papua
    assert merauke.province_in(2023) == papua_selatan
    assert merauke in Regency.objects.in_province(papua, 2020)
    assert merauke not in Regency.objects.in_province(papua_selatan, 2020)
    assert merauke in Regency.objects.in_province(papua_selatan, 2023)
    assert merauke not in Regency.objects.in_province(papua, 2023)


def test_every_year_partitions_the_514_regencies_among_that_years_provinces():
    for year in (2020, 2023):
        counted = sum(Regency.objects.in_province(p, year).count() for p in Province.objects.active_in(year))
        assert counted == 514, year


def test_every_regency_code_starts_with_its_provinces_code_in_each_year():
    for regency in Regency.objects.select_related("province", "former_province"):
        assert re.fullmatch(r"\d\d\.\d\d", regency.code)
        assert regency.code.startswith(regency.province.code + ".")
        assert regency.code_in(2020).startswith(regency.province_in(2020).code + ".")
        expected_kind = "kota" if int(regency.code[3:]) >= 71 else "kabupaten"
        assert regency.kind == expected_kind
        if regency.province.code in NEW_PAPUA_PROVINCES:
            assert regency.moved_in_year == 2022
            assert regency.former_province.code in {"91", "92"}


def test_province_list_shows_34_provinces_for_2020_and_38_for_2023(user_client):
    url = reverse("provinces:list")
    page_2020 = user_client.get(url, {"tahun": 2020})
    assert len(page_2020.context["rows"]) == 34
    assert page_2020.context["regency_total"] == 514
    assert "Papua Selatan" not in page_2020.content.decode()
    page_2023 = user_client.get(url, {"tahun": 2023})
    assert len(page_2023.context["rows"]) == 38
    assert page_2023.context["regency_total"] == 514
    assert "Papua Selatan" in page_2023.content.decode()


def test_province_list_uses_a_constant_number_of_queries(user_client, django_assert_max_num_queries):
    user_client.get(reverse("provinces:list"))
    # session and user (with the sliding-expiry save), the bell's unread count, then the provinces with
    # their regency counts in one
    with django_assert_max_num_queries(8):
        user_client.get(reverse("provinces:list"), {"tahun": 2023})


def test_province_list_runs_6_queries_for_an_operator(client, operator, django_assert_num_queries):
    client.force_login(operator)
    # 1. the session
    # 2. the user
    # 3. the user's groups (roles)
    # 4. the provinces active in the year, each with its regencies counted (correlated subqueries)
    # 5. the user's province, named in the navigation bar
    # 6. the user's unread notices, counted (the bell in the navigation bar)
    # (the session is not written again: it was, less than a minute ago)
    with django_assert_num_queries(6):
        response = client.get(reverse("provinces:list"), {"tahun": 2023})
    assert response.context["regency_total"] == 514


def test_province_page_uses_the_same_number_of_queries_for_9_or_29_regencies(user_client):
    def count(code, year):
        with CaptureQueriesContext(connection) as ctx:
            response = user_client.get(reverse("provinces:detail", args=[code]), {"tahun": year})
        return len(ctx.captured_queries), len(response.context["rows"])

    bali = count("51", 2020)
    # Papua in 2020 still holds the regencies that moved to the new provinces in 2022 (former codes).
    papua = count("91", 2020)
    assert (bali[1], papua[1]) == (9, 29)
    assert papua[0] == bali[0]


def test_province_page_runs_7_queries_for_an_operator(client, operator, django_assert_num_queries):
    client.force_login(operator)
    # 1. the session
    # 2. the user
    # 3. the user's groups (roles)
    # 4. the province, by its code
    # 5. its regencies in the year (also those that belonged to it then), province and former province
    #    joined
    # 6. the user's province, named in the navigation bar
    # 7. the user's unread notices, counted (the bell in the navigation bar)
    # (the session is not written again: it was, less than a minute ago)
    with django_assert_num_queries(7):
        response = client.get(reverse("provinces:detail", args=["91"]), {"tahun": 2020})
    assert "91.01" in {code for _, code in response.context["rows"]}


def test_province_list_rejects_a_bad_year_with_a_message(user_client):
    response = user_client.get(reverse("provinces:list"), {"tahun": "dua ribu"})
    assert response.status_code == 200
    assert "Tahun anggaran harus berupa angka" in response.content.decode()


def test_province_page_lists_merauke_under_papua_in_2020_with_its_old_code(user_client):
    response = user_client.get(reverse("provinces:detail", args=["91"]), {"tahun": 2020})
    codes = {code for _, code in response.context["rows"]}
    assert "91.01" in codes
    assert "Kabupaten Merauke" in response.content.decode()
    response = user_client.get(reverse("provinces:detail", args=["93"]), {"tahun": 2023})
    assert "93.01" in {code for _, code in response.context["rows"]}


def test_province_page_of_bali_lists_bangli(user_client):
    response = user_client.get(reverse("provinces:detail", args=["51"]), {"tahun": 2020})
    assert ("51.06") in {code for _, code in response.context["rows"]}
    assert len(response.context["rows"]) == 9


def test_unknown_province_is_404(user_client):
    assert user_client.get(reverse("provinces:detail", args=["99"])).status_code == 404
