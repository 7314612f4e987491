"""Physical progress (capaian) of a province-year's ROs as of a month: each measure counted from verified
records only, never a firm or a person twice within an RO; the report page, its JSON contract, XLSX and
CSV; scoping; a constant number of queries.

Every figure is checked against `expected()`, a plain loop over the records in Python that reads neither
the report's queries nor its code.
"""

import calendar
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from openpyxl import load_workbook

from programs import services
from programs.models import (
    Achievement,
    Activity,
    Output,
    Participant,
    Participation,
    PlanItem,
    Realisation,
    RealisationLine,
)
from programs.reports import capaian_report, default_month
from programs.workflow import ReviewAction
from tests import csvutil, sheetutil
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_output,
    make_participant,
    make_participation,
)

pytestmark = pytest.mark.django_db

YEAR = 2020
PAGU = Decimal("1500000000")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
VERIFIED = "terverifikasi"


# --- The plan and the records ------------------------------------------------------------------------------


def make_plan(allocation, ros):
    """A program, kegiatan and KRO with the given ROs (dicts of suffix, measure, target, unit, pagu and
    product_type), created directly (the plan's service is another engineer's)."""
    program = PlanItem.objects.create(
        allocation=allocation, level="program", code="019.08.WA", name="Program Pengembangan Industri"
    )
    kegiatan = PlanItem.objects.create(
        allocation=allocation, parent=program, level="kegiatan", code="5807", name="Pembinaan IKM"
    )
    kro = PlanItem.objects.create(
        allocation=allocation, parent=kegiatan, level="kro", code="5807.QEA", name="Fasilitasi dan Pembinaan"
    )
    made = {}
    for spec in ros:
        made[spec["key"]] = PlanItem.objects.create(
            allocation=allocation,
            parent=kro,
            level="ro",
            code=f"5807.QEA.{spec['suffix']}",
            name=spec["name"],
            target=spec["target"],
            unit=spec["unit"],
            measure=spec["measure"],
            product_type=spec.get("product_type", ""),
            pagu=spec["pagu"],
        )
    return made


RO_SPECS = [
    {"key": "ikm", "suffix": "001", "name": "IKM yang dibina", "measure": "ikm", "unit": "ikm", "target": 10},
    {"key": "peserta", "suffix": "002", "name": "Peserta bimtek", "measure": "peserta", "unit": "orang"},
    {"key": "wirausaha", "suffix": "003", "name": "Wirausaha baru", "measure": "wirausaha_nib"},
    {"key": "produk", "suffix": "004", "name": "Masker diproduksi", "measure": "produk"},
    {"key": "kegiatan", "suffix": "005", "name": "Kegiatan terlaksana", "measure": "kegiatan"},
    {"key": "manual", "suffix": "006", "name": "Dokumen kajian", "measure": "manual", "unit": "dokumen"},
]
DEFAULTS = {
    "peserta": {"target": 40},
    "wirausaha": {"target": 5, "unit": "wirausaha"},
    "produk": {"target": 5000, "unit": "produk", "product_type": "masker"},
    "kegiatan": {"target": 3, "unit": "kegiatan"},
    "manual": {"target": 2},
}
# The six RO pagus add up to the allocation's pagu (plan_ro_pagu_sum).
RO_PAGUS = [Decimal(p) * 1_000_000 for p in (300, 250, 250, 300, 200, 200)]


@pytest.fixture
def plan():
    allocation = make_allocation("51", YEAR, pagu=PAGU)
    specs = [{**DEFAULTS.get(s["key"], {}), **s, "pagu": p} for s, p in zip(RO_SPECS, RO_PAGUS, strict=True)]
    ros = make_plan(allocation, specs)
    assert sum(ro.pagu for ro in ros.values()) == allocation.current_pagu
    return allocation, ros


def verify(activity):
    Activity.objects.filter(pk=activity.pk).update(review_status=VERIFIED)


def done_activity(allocation, ro, end, **overrides):
    return make_activity(
        allocation,
        planned_output=ro,
        status="selesai",
        planned_start=end - datetime.timedelta(days=5),
        planned_end=end,
        actual_start=end - datetime.timedelta(days=5),
        actual_end=end,
        **overrides,
    )


def achievement(ro, month, quantity, status="draf"):
    record = Achievement(
        planned_output=ro,
        month=month,
        quantity=quantity,
        evidence=ContentFile(PDF, name="bukti.pdf"),
        evidence_name="bukti.pdf",
        review_status=status,
    )
    record.save()
    return record


def realisation(allocation, month, lines):
    """A month's realisation with lines [(ro, spending type, amount)]: its amount is their sum."""
    total = sum((Decimal(amount) for _ro, _t, amount in lines), Decimal(0))
    row = Realisation.objects.create(allocation=allocation, month=month, amount=total)
    for ro, spending_type, amount in lines:
        RealisationLine.objects.create(
            realisation=row, planned_output=ro, spending_type=spending_type, amount=Decimal(amount)
        )
    return row


def populate(allocation, ros, *, copies=1):
    """Records of every measure, verified and not, before and after June; `copies` grows them."""
    firms = [make_firm("51") for _ in range(3 * copies)]
    for c in range(copies):
        # IKM: two verified activities sharing a firm (counted once), one unverified, one held in August.
        a1 = done_activity(allocation, ros["ikm"], datetime.date(YEAR, 3, 10))
        a2 = make_activity(  # not held yet by its actual end: its planned end counts
            allocation,
            planned_output=ros["ikm"],
            planned_start=datetime.date(YEAR, 4, 1),
            planned_end=datetime.date(YEAR, 4, 20),
        )
        a3 = done_activity(allocation, ros["ikm"], datetime.date(YEAR, 5, 5))
        a4 = done_activity(allocation, ros["ikm"], datetime.date(YEAR, 8, 5))
        for a in (a1, a2, a4):
            verify(a)
        shared = firms[3 * c]
        for a in (a1, a2):
            make_participation(a, shared)
        make_participation(a1, firms[3 * c + 1])
        make_participation(a3, firms[3 * c + 2])  # unverified: nowhere
        make_participation(a4, firms[3 * c + 2])  # after June
        # Participants: the same NIK in two activities (once), two without NIK (each), one unverified.
        p1 = done_activity(allocation, ros["peserta"], datetime.date(YEAR, 2, 10))
        p2 = done_activity(allocation, ros["peserta"], datetime.date(YEAR, 6, 30))
        p3 = done_activity(allocation, ros["peserta"], datetime.date(YEAR, 6, 1))
        verify(p1)
        verify(p2)
        nik = f"51010101010{c:05d}"
        make_participant(p1, nik=nik)
        make_participant(p2, nik=nik)
        make_participant(p1, nik="")
        make_participant(p2, nik="")
        make_participant(p3, nik=f"51010202020{c:05d}")
        # New entrepreneurs: founded firms, one founded firm named twice, one participant without.
        w1 = done_activity(allocation, ros["wirausaha"], datetime.date(YEAR, 5, 20))
        verify(w1)
        founded = make_firm("51")
        make_participant(w1, founded_firm=founded)
        make_participant(w1, founded_firm=founded)
        make_participant(w1, founded_firm=make_firm("51"))
        make_participant(w1, founded_firm=make_firm("51", nib=""))  # founded, but without a NIB yet
        make_participant(w1)
        # Units: masks by the end of June count; a later one, another product type, an unverified one not.
        u1 = done_activity(allocation, ros["produk"], datetime.date(YEAR, 9, 30))  # held after June
        u2 = done_activity(allocation, ros["produk"], datetime.date(YEAR, 5, 30))
        verify(u1)
        part = make_participation(u1, make_firm("51"))
        make_output(part, quantity=1200, produced_on=datetime.date(YEAR, 6, 15))
        make_output(part, quantity=800, produced_on=datetime.date(YEAR, 7, 2))
        make_output(part, quantity=300, product_type="hazmat", produced_on=datetime.date(YEAR, 6, 1))
        unverified = make_participation(u2, make_firm("51"))
        make_output(unverified, quantity=999, produced_on=datetime.date(YEAR, 5, 1))
        # Activities done: done by June (verified) count; a running one and an unverified done one do not.
        k1 = done_activity(allocation, ros["kegiatan"], datetime.date(YEAR, 6, 10))
        k2 = make_activity(
            allocation,
            planned_output=ros["kegiatan"],
            status="berjalan",
            actual_start=datetime.date(YEAR, 6, 1),
        )
        k3 = done_activity(allocation, ros["kegiatan"], datetime.date(YEAR, 4, 10))
        verify(k1)
        verify(k2)
        del k3  # left unverified
    # Manual: verified months count up to the month; a submitted one does not.
    if not Achievement.objects.filter(planned_output=ros["manual"]).exists():
        achievement(ros["manual"], 3, 1, status=VERIFIED)
        achievement(ros["manual"], 6, 1, status="diajukan")
        achievement(ros["manual"], 9, 1, status=VERIFIED)
    month = Realisation.objects.filter(allocation=allocation).count() + 1
    realisation(
        allocation,
        month,
        [(ros["ikm"], "52", 10_000_000 * copies), (ros["manual"], "52", 5_000_000), (ros["produk"], "53", 1)],
    )


# --- The independent computation --------------------------------------------------------------------------


def expected(allocation, month):
    """{RO code: (achieved, realised)} by plain loops over every record (no aggregate, no report code)."""
    end = datetime.date(YEAR, month, calendar.monthrange(YEAR, month)[1])
    result = {}
    for ro in PlanItem.objects.filter(allocation=allocation, level="ro"):
        activities = [
            a
            for a in Activity.objects.all()
            if a.planned_output_id == ro.pk
            and a.review_status == VERIFIED
            and (a.actual_end or a.planned_end) <= end
        ]
        ids = {a.pk for a in activities}
        if ro.measure == "ikm":
            achieved = len({p.firm_id for p in Participation.objects.all() if p.activity_id in ids})
        elif ro.measure == "peserta":
            people = [p for p in Participant.objects.all() if p.activity_id in ids]
            achieved = len({p.nik for p in people if p.nik}) + len([p for p in people if not p.nik])
        elif ro.measure == "wirausaha_nib":
            founders = [p for p in Participant.objects.all() if p.activity_id in ids and p.founded_firm_id]
            achieved = len({p.founded_firm_id for p in founders if p.founded_firm.nib})
        elif ro.measure == "produk":
            # the output's date replaces the activity's
            mine = [a for a in Activity.objects.all() if a.planned_output_id == ro.pk]
            verified = {a.pk for a in mine if a.review_status == VERIFIED}
            achieved = sum(
                o.quantity
                for o in Output.objects.all()
                if o.activity_id in verified and o.product_type == ro.product_type and o.produced_on <= end
            )
        elif ro.measure == "kegiatan":
            achieved = len([a for a in activities if a.status == "selesai" and a.actual_end <= end])
        else:
            achieved = sum(
                r.quantity
                for r in Achievement.objects.all()
                if r.planned_output_id == ro.pk and r.review_status == VERIFIED and r.month <= month
            )
        realised = sum(
            (
                line.amount
                for line in RealisationLine.objects.select_related("realisation")
                if line.planned_output_id == ro.pk and line.realisation.month <= month
            ),
            Decimal(0),
        )
        result[ro.code] = (achieved, realised)
    return result


def _pct(part, whole):
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01")) if whole else None


# --- The computation ---------------------------------------------------------------------------------------


def test_every_measure_equals_an_independent_count(plan, pusat):
    allocation, ros = plan
    populate(allocation, ros)
    for month in range(1, 13):
        report = capaian_report(pusat, allocation.province, YEAR, month)
        got = {r["code"]: (r["achieved"], r["realised"]) for r in report.rows}
        assert got == expected(allocation, month), month
    june = {r["code"]: r for r in capaian_report(pusat, allocation.province, YEAR, 6).rows}
    # The cases spelled out, as of June:
    assert june["5807.QEA.001"]["achieved"] == 2  # the shared firm once, the other once; not 3, not 4
    assert june["5807.QEA.002"]["achieved"] == 3  # one NIK in two activities, two without NIK
    assert june["5807.QEA.003"]["achieved"] == 2  # two distinct founded firms
    assert june["5807.QEA.004"]["achieved"] == 1200  # masks produced by 30 June, of a verified activity
    assert june["5807.QEA.005"]["achieved"] == 1  # done by June and verified
    assert june["5807.QEA.006"]["achieved"] == 1  # March verified; June only submitted
    assert capaian_report(pusat, allocation.province, YEAR, 12).rows[5]["achieved"] == 2


def test_percentages_and_totals(plan, pusat):
    allocation, ros = plan
    populate(allocation, ros)
    report = capaian_report(pusat, allocation.province, YEAR, 6)
    for row in report.rows:
        ro = PlanItem.objects.get(code=row["code"])
        assert row["target"] == ro.target and row["pagu"] == ro.pagu
        assert row["achieved_pct"] == _pct(row["achieved"], ro.target)
        assert row["absorption_pct"] == _pct(row["realised"], ro.pagu)
    assert report.totals["pagu"] == PAGU
    assert report.totals["realised"] == Decimal(15_000_001)
    assert report.totals["absorption_pct"] == _pct(15_000_001, PAGU)


def test_a_firm_in_two_activities_of_one_ro_counts_once(plan, pusat):
    allocation, ros = plan
    firm = make_firm("51")
    for day in (3, 4):
        activity = done_activity(allocation, ros["ikm"], datetime.date(YEAR, day, 10))
        make_participation(activity, firm)
        verify(activity)
    row = capaian_report(pusat, allocation.province, YEAR, 12).rows[0]
    assert (row["code"], row["achieved"]) == ("5807.QEA.001", 1)


def test_an_unverified_activity_counts_nowhere_until_verified(plan, operator, pusat):
    allocation, ros = plan
    activity = done_activity(allocation, ros["ikm"], datetime.date(YEAR, 3, 10))
    make_participation(activity, make_firm("51"))
    make_participation(activity, make_firm("51"))

    def achieved():
        return capaian_report(pusat, allocation.province, YEAR, 12).rows[0]["achieved"]

    assert achieved() == 0
    services.transition(activity, actor=operator, action=ReviewAction.SUBMIT)
    assert achieved() == 0
    services.transition(activity, actor=pusat, action=ReviewAction.VERIFY)
    assert achieved() == 2
    services.transition(activity, actor=pusat, action=ReviewAction.REOPEN, note="Periksa daftar hadir")
    assert achieved() == 0


def test_default_month():
    assert default_month(2020, today=datetime.date(2026, 12, 1)) == 12
    assert default_month(2026, today=datetime.date(2026, 4, 1)) == 4


def test_a_year_without_plan_has_no_rows(operator):
    allocation = make_allocation("51", YEAR)
    report = capaian_report(operator, allocation.province, YEAR, 6)
    assert report.rows == [] and report.allocation == allocation and not report.has_plan


# --- The page ----------------------------------------------------------------------------------------------


def _url(code="51", **query):
    from urllib.parse import urlencode

    return reverse("reports:capaian", args=[code]) + "?" + urlencode({"tahun": YEAR, **query})


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_json_contract(plan, operator_client):
    allocation, ros = plan
    populate(allocation, ros)
    response = operator_client.get(_url(bulan=6, format="json"))
    assert response.status_code == 200
    data = json.loads(_body(response))
    assert list(data) == ["year", "province_code", "fund_type", "as_of", "rows", "totals"]
    head = (data["year"], data["province_code"], data["fund_type"], data["as_of"])
    assert head == (2020, "51", "DK", "2020-06")
    keys = [
        "code",
        "name",
        "unit",
        "target",
        "achieved",
        "achieved_pct",
        "measure",
        "pagu",
        "realised",
        "absorption_pct",
    ]
    truth = expected(allocation, 6)
    assert [r["code"] for r in data["rows"]] == sorted(truth)
    for row in data["rows"]:
        assert list(row) == keys
        achieved, realised = truth[row["code"]]
        ro = PlanItem.objects.get(code=row["code"])
        assert row["achieved"] == achieved and isinstance(row["achieved"], int)
        assert row["realised"] == int(realised) and isinstance(row["realised"], int)
        assert row["pagu"] == int(ro.pagu) and row["target"] == ro.target
        assert (row["unit"], row["measure"], row["name"]) == (ro.unit, ro.measure, ro.name)
        pct = _pct(achieved, ro.target)
        assert row["achieved_pct"] == (float(pct) if pct is not None else None)
        assert row["absorption_pct"] == (float(_pct(realised, ro.pagu)) if realised else 0.0)
    assert data["totals"] == {
        "pagu": 1_500_000_000,
        "realised": 15_000_001,
        "absorption_pct": float(_pct(15_000_001, PAGU)),
    }


def test_html_page_says_verified_only_and_shows_the_rows(plan, operator_client):
    allocation, ros = plan
    populate(allocation, ros)
    response = operator_client.get(_url(bulan=6))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Capaian dihitung dari data yang sudah diverifikasi saja." in text
    assert 'data-ro="5807.QEA.001"' in text and "IKM yang dibina" in text
    assert response.context["report"].month == 6
    assert 'id="capaian-total-pagu">Rp 1.500.000.000' in text
    # the province report links here
    province = operator_client.get(reverse("reports:province", args=["51"]) + f"?tahun={YEAR}")
    assert reverse("reports:capaian", args=["51"]) in province.content.decode()


def test_as_of_month_default_and_bad_month(plan, operator_client):
    response = operator_client.get(_url())
    assert response.context["report"].month == 12  # a past year: December
    bad = operator_client.get(_url(bulan=13))
    assert bad.status_code == 200
    assert "Pilih bulan 1 sampai 12." in bad.content.decode()
    assert bad.context["report"].month == 12


def test_xlsx_and_csv(plan, pusat_client):
    allocation, ros = plan
    populate(allocation, ros)
    truth = expected(allocation, 6)
    response = pusat_client.get(_url(bulan=6, format="xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(_body(response)), read_only=True).worksheets[0]
    rows = sheetutil.table(sheet)
    assert rows[0][:5] == ("Kode", "Uraian", "Satuan", "Target", "Capaian")
    by_code = {r[0]: r for r in rows[1:-1]}
    assert {code: (r[4], r[8]) for code, r in by_code.items()} == {
        code: (a, int(m)) for code, (a, m) in truth.items()
    }
    assert by_code["5807.QEA.001"][2] == "IKM"  # the unit's label in the spreadsheets
    assert rows[-1][0] == "Total" and rows[-1][7] == 1_500_000_000 and rows[-1][8] == 15_000_001
    response = pusat_client.get(_url(bulan=6, format="csv"))
    lines = csvutil.rows(response)
    assert lines[0][0] == "Kode" and len(lines) == 1 + len(truth) + 1
    assert {line[0]: int(line[4]) for line in lines[1:-1]} == {c: a for c, (a, _m) in truth.items()}


def test_another_province_is_not_found(plan, operator_b_client, viewer_client):
    assert operator_b_client.get(_url("51")).status_code == 404
    assert operator_b_client.get(_url("51", format="json")).status_code == 404
    assert viewer_client.get(_url("51")).status_code == 200
    assert operator_b_client.get(_url("63")).status_code == 200


def test_a_year_without_plan_is_a_clear_empty_state(operator_client):
    make_allocation("51", YEAR)
    response = operator_client.get(_url())
    assert response.status_code == 200
    assert 'id="capaian-empty"' in response.content.decode()
    data = json.loads(_body(operator_client.get(_url(format="json"))))
    assert data["rows"] == [] and data["totals"] == {"pagu": 0, "realised": 0, "absorption_pct": None}
    assert data["fund_type"] == "DK"
    assert operator_client.get(_url(tahun=2024) + "").status_code == 200  # no allocation at all


def test_queries_do_not_grow_with_the_data(plan, pusat_client, django_assert_num_queries):
    allocation, ros = plan
    populate(allocation, ros)
    pusat_client.get(_url(bulan=6))  # fills the content-type and session caches
    # 1 the session, 2 the user, 3 the second factor's device, 4 the user's groups (roles),
    # 5 the province (through the scope), 6 the allocation, 7 its ROs,
    # 8-13 one grouped query per measure kind (ikm, peserta, wirausaha_nib, produk, kegiatan, manual),
    # 14 the realisation lines per RO, 15 the months' realisation in all (what no RO names),
    # 16 the user's unread notices (the bell in the navigation bar; not in JSON),
    # (the session is not written again: it was, less than a minute ago)
    with django_assert_num_queries(QUERIES) as captured:
        assert pusat_client.get(_url(bulan=6)).status_code == 200
    first = len(captured)
    populate(allocation, ros, copies=3)
    with django_assert_num_queries(first):
        assert pusat_client.get(_url(bulan=6)).status_code == 200
    with django_assert_num_queries(first - 1):
        assert pusat_client.get(_url(bulan=6, format="json")).status_code == 200


QUERIES = 16


def test_realisation_not_split_over_the_ros_is_said_beside_the_totals(plan, pusat_client):
    """A month entered before the year had a plan names no RO: the page says how much, the totals stay the
    ROs' own."""
    from tests.factories import make_realisation

    allocation, ros = plan
    make_realisation(allocation, 2, Decimal("12500000"))  # no lines
    html = pusat_client.get(_url(bulan=6)).content.decode()
    assert 'id="capaian-unattributed"' in html and "Rp 12.500.000" in html
    data = json.loads(_body(pusat_client.get(_url(bulan=6, format="json"))))
    assert data["totals"]["realised"] == 0
    html = pusat_client.get(_url(bulan=1)).content.decode()  # February is after January's end
    assert 'id="capaian-unattributed"' not in html
