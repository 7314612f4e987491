"""The one scoping mechanism: every page, form choice list, export, import, download and admin view
asks `Model.objects.visible_to(user)` or `.editable_by(user)`; none filters by province on its own.
"""

from django.db import models
from django.http import Http404

from accounts.roles import ALL, editable_provinces, is_admin, visible_provinces


class ScopedQuerySet(models.QuerySet):
    #: The lookup from this model to its province.
    province_lookup = "province"

    def _in(self, scope):
        if scope is ALL:
            return self
        if scope is None:
            return self.none()
        return self.filter(**{self.province_lookup: scope})

    def visible_to(self, user):
        return self._in(visible_provinces(user))

    def editable_by(self, user):
        """What the user may change now: their provinces, minus what the workflow or a closed year locks."""
        qs = self._in(editable_provinces(user))
        if is_admin(user):
            return qs
        return self.unlocked(qs)

    def unlocked(self, qs):
        """Hook: remove rows locked by the workflow or a closed fiscal year (for non-admins)."""
        return qs


def get_visible_or_404(queryset, user, **lookup):
    """The object if the user may see it; 404 otherwise, so nobody learns what exists elsewhere."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except queryset.model.DoesNotExist as e:
        raise Http404 from e


def in_editable_provinces(queryset, user):
    """Rows of the provinces whose figures the user may enter (for choice lists of new records)."""
    return queryset._in(editable_provinces(user))


def regencies_for(user):
    """Regency choices for a user's forms: those of the provinces they may edit, before or after 2022."""
    from django.db.models import Q

    from provinces.models import Regency

    scope = editable_provinces(user)
    if scope is ALL:
        return Regency.objects.select_related("province")
    if scope is None:
        return Regency.objects.none()
    return Regency.objects.filter(Q(province=scope) | Q(former_province=scope)).select_related("province")


def provinces_visible_to(user):
    """Province choices for filters: every province for national users, their own for provincial staff."""
    from provinces.models import Province

    scope = visible_provinces(user)
    if scope is ALL:
        return Province.objects.all()
    if scope is None:
        return Province.objects.none()
    return Province.objects.filter(pk=scope)


def province_visible(user, province_id):
    """Whether the user may read data of this province (for records that no longer exist, e.g. history)."""
    scope = visible_provinces(user)
    return scope is ALL or (scope is not None and scope == province_id)


def provinces_editable_by(user):
    """Province choices for new records: every province for admins, the operator's own province."""
    from provinces.models import Province

    scope = editable_provinces(user)
    if scope is ALL:
        return Province.objects.all()
    if scope is None:
        return Province.objects.none()
    return Province.objects.filter(pk=scope)
