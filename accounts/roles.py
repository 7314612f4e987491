"""Who a user is in the programme. Roles are Django groups (created by a migration); an admin sets a
user's groups and province. What a role may see or change is decided in one place, programs/access.py,
the only reader of `roles_of`.
"""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    ADMIN = "admin"
    MINISTRY = "pusat"
    OPERATOR = "operator"
    #: The head of a provincial office (Kepala Dinas): approves or returns what its operators prepared.
    HEAD = "kadis"
    #: An operator of a regency/city office (TP work run there): that regency's activities only.
    REGENCY_OPERATOR = "operator_kab"
    VIEWER = "viewer"


# Group names as admins see them in the admin; the migration creates exactly these.
GROUP_NAMES = {
    Role.ADMIN: "Admin",
    Role.MINISTRY: "Staf Kementerian",
    Role.OPERATOR: "Operator Provinsi",
    Role.HEAD: "Kepala Dinas",
    Role.REGENCY_OPERATOR: "Operator Kabupaten/Kota",
    Role.VIEWER: "Peninjau",
}
ROLE_LABELS = {
    Role.ADMIN: _("Admin"),
    Role.MINISTRY: _("Staf Kementerian (pusat)"),
    Role.OPERATOR: _("Operator provinsi"),
    Role.HEAD: _("Kepala Dinas"),
    Role.REGENCY_OPERATOR: _("Operator kabupaten/kota"),
    Role.VIEWER: _("Peninjau"),
}
_ROLE_BY_GROUP = {name: role for role, name in GROUP_NAMES.items()}


def roles_of(user):
    """The user's roles, read once per request object (one query) and kept on it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_ikm_roles", None)
    if cached is None:
        names = user.groups.values_list("name", flat=True)
        cached = frozenset(_ROLE_BY_GROUP[n] for n in names if n in _ROLE_BY_GROUP)
        if user.is_superuser:
            cached |= {Role.ADMIN}
        user._ikm_roles = cached
    return cached
