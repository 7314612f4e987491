"""Writes of a manual achievement (capaian): the monthly achieved volume of an RO that nothing in the records
measures (measure "manual"), with its evidence file.

Each is one atomic function taking the acting user: the RO is locked first (its achievement's months are
what its capaian adds up), the RO's measure is checked, the record is validated and saved through
`services.save_edit` (scope, workflow state, closed year, version, history). An evidence file replaced by
a new one is removed once the change is committed. Deleting is the one delete path
(`views.common.delete_page`); submitting and verifying are the workflow's (`services.transition`), as
for a month's realisation.
"""

from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import access, services
from .evidence import remove_stored
from .models import Achievement, Measure, PlanItem, PlanLevel


def _locked_output(achievement):
    ro = PlanItem.objects.select_for_update().filter(pk=achievement.planned_output_id).first()
    if ro is None or ro.level != PlanLevel.RO or ro.measure != Measure.MANUAL:
        raise ValidationError(
            {
                "planned_output": _(
                    "Capaian hanya diisi untuk RO yang capaiannya dicatat per bulan dengan bukti dukung."
                )
            }
        )
    return ro


def save_achievement(achievement, *, actor, expected_version=None):
    """Record or change a month's achievement of a manual RO (in the actor's scope, while editable)."""
    with transaction.atomic():
        ro = _locked_output(achievement)
        if achievement.month:  # a month of a closed period: refused, with its name beside the month
            access.check_period_open(
                actor,
                ro.allocation.province_id,
                ro.allocation.year,
                access.MONTHLY,
                achievement.month,
                field="month",
            )
        stored = (
            Achievement.objects.filter(pk=achievement.pk).values_list("evidence", flat=True).first()
            if achievement.pk
            else None
        )
        achievement.full_clean()
        services.save_edit(achievement, actor=actor, expected_version=expected_version)
        if stored and stored != achievement.evidence.name:
            storage = achievement.evidence.storage
            transaction.on_commit(partial(remove_stored, storage, stored))
    return achievement
