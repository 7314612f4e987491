"""What an activity still lacks before it is submitted for verification ("Ajukan untuk verifikasi"): the one
list of the items, each ok, a warning (it may go ahead) or a refusal (it may not). The checklist page shows
them (programs/views/review.py `activity_transition`, GET) and `services.transition` refuses a submit
while any item refuses, with the same messages, whatever path the POST took.

Refusals (the rules): an activity with no participant at all, neither a firm (IKM peserta) nor a person
(peserta perorangan), unless it was cancelled (batal: nobody took part, and its reason is recorded); an
activity marked done (selesai) without its actual dates. Warnings (the ministry may still accept it): no
output recorded (a training need not produce goods); a handover without its BAST file (its number is
required already; the scan is the evidence); no evidence file of the activity itself (attendance list,
photos); a done activity without its actual number of participants; a planned activity whose planned end
has passed (its status is likely out of date). A postponed or cancelled activity is not asked for outputs or
evidence.

All the figures come from one query (`facts`), whatever the number of firms, outputs and handovers.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Activity, ActivityStatus, Attachment, Handover, Output, Participant, Participation

OK, WARNING, REFUSAL = "ok", "warning", "refusal"


@dataclass(frozen=True)
class Item:
    #: A stable name (tests and the page's element ids).
    key: str
    level: str
    message: str
    #: Where to fix it: the activity page's section, or its edit form.
    link: str = ""

    @property
    def refuses(self):
        return self.level == REFUSAL


FACTS = ("firms", "people", "outputs", "handovers", "handovers_without_file", "files")


def _count(queryset):
    rows = queryset.filter(activity=OuterRef("pk")).order_by().values("activity")
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), Value(0))


def facts(activity):
    """{firms, people, outputs, handovers, handovers_without_file, files} of the activity, in one query."""
    without_file = Handover.objects.filter(~Exists(Attachment.objects.filter(handover=OuterRef("pk"))))
    row = (
        Activity._base_manager.filter(pk=activity.pk)
        .annotate(
            n_firms=_count(Participation.objects.all()),
            n_people=_count(Participant.objects.all()),
            n_outputs=_count(Output.objects.all()),
            n_handovers=_count(Handover.objects.all()),
            n_handovers_without_file=_count(without_file),
            n_files=_count(Attachment.objects.filter(handover__isnull=True)),
        )
        .values(*(f"n_{name}" for name in FACTS))
        .get()
    )
    return {name: row[f"n_{name}"] for name in FACTS}


def items(activity, known=None):
    """The checklist of `activity` (its fields as given; its parts counted by `facts`, or `known`)."""
    f = known if known is not None else facts(activity)
    page = activity.get_absolute_url()
    edit = reverse("programs:activity_update", args=[activity.pk])
    status = activity.status
    cancelled = status == ActivityStatus.CANCELLED
    held = status not in (ActivityStatus.CANCELLED, ActivityStatus.POSTPONED)
    result = []

    if f["firms"] or f["people"]:
        message = _("Peserta: %(f)s IKM peserta, %(p)s peserta perorangan.") % {
            "f": f["firms"],
            "p": f["people"],
        }
        result.append(Item("participants", OK, message, f"{page}#firms"))
    elif cancelled:
        message = _("Belum ada peserta; kegiatan batal boleh diajukan tanpa peserta.")
        result.append(Item("participants", OK, message, f"{page}#firms"))
    else:
        message = _(
            "Belum dapat diajukan: kegiatan belum punya peserta. Tambahkan IKM peserta atau peserta "
            "perorangan."
        )
        result.append(Item("participants", REFUSAL, message, f"{page}#firms"))

    if status == ActivityStatus.DONE:
        if activity.actual_start is None or activity.actual_end is None:
            message = _(
                "Belum dapat diajukan: kegiatan selesai harus punya tanggal realisasi mulai dan selesai."
            )
            result.append(Item("actual_dates", REFUSAL, message, edit))
        else:
            message = _("Tanggal realisasi: %(s)s – %(e)s.") % {
                "s": activity.actual_start.strftime("%d/%m/%Y"),
                "e": activity.actual_end.strftime("%d/%m/%Y"),
            }
            result.append(Item("actual_dates", OK, message, edit))
        if activity.actual_participants is None:
            message = _("Realisasi peserta (jumlah orang yang hadir) belum diisi.")
            result.append(Item("actual_participants", WARNING, message, edit))
    elif status == ActivityStatus.PLANNED and activity.planned_end < timezone.localdate():
        message = _(
            "Status masih rencana padahal rencana selesai (%(d)s) sudah lewat; perbarui status pelaksanaan."
        ) % {"d": activity.planned_end.strftime("%d/%m/%Y")}
        result.append(Item("status", WARNING, message, edit))

    if held:
        if f["outputs"]:
            message = ngettext(
                "%(n)s hasil produksi tercatat.", "%(n)s hasil produksi tercatat.", f["outputs"]
            ) % {"n": f["outputs"]}
            result.append(Item("outputs", OK, message, f"{page}#outputs"))
        else:
            message = _(
                "Belum ada hasil produksi. Boleh diajukan bila kegiatan memang tidak menghasilkan produk."
            )
            result.append(Item("outputs", WARNING, message, f"{page}#outputs"))
        if f["handovers_without_file"]:
            message = ngettext(
                "%(n)s dari %(t)s penyerahan belum punya lampiran BAST (pindaian berita acara).",
                "%(n)s dari %(t)s penyerahan belum punya lampiran BAST (pindaian berita acara).",
                f["handovers_without_file"],
            ) % {"n": f["handovers_without_file"], "t": f["handovers"]}
            result.append(Item("handover_evidence", WARNING, message, f"{page}#attachments"))
        elif f["handovers"]:
            message = _("Setiap penyerahan punya lampiran BAST.")
            result.append(Item("handover_evidence", OK, message, f"{page}#attachments"))
        if f["files"]:
            message = ngettext(
                "%(n)s lampiran bukti kegiatan.", "%(n)s lampiran bukti kegiatan.", f["files"]
            ) % {"n": f["files"]}
            result.append(Item("evidence", OK, message, f"{page}#attachments"))
        else:
            message = _("Belum ada lampiran bukti kegiatan (daftar hadir, foto).")
            result.append(Item("evidence", WARNING, message, f"{page}#attachments"))
    return result


def refusals(activity):
    return [item for item in items(activity) if item.refuses]


def check_submittable(activity):
    """Raise the refusals' messages (a ValidationError) when the activity may not be submitted."""
    refused = refusals(activity)
    if refused:
        raise ValidationError([item.message for item in refused])
