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
