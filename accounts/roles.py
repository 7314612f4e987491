"""Who a user is in the programme. Roles are Django groups (created by a migration); an admin sets a
user's groups and province. Everything that decides what a user may see or change starts here, and the
querysets' `visible_to` / `editable_by` (programs/scoping.py) are the one place that applies it to data.
"""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    ADMIN = "admin"
    MINISTRY = "pusat"
    OPERATOR = "operator"
    VIEWER = "viewer"


# Group names as admins see them in the admin; the migration creates exactly these.
GROUP_NAMES = {
    Role.ADMIN: "Admin",
    Role.MINISTRY: "Staf Kementerian",
    Role.OPERATOR: "Operator Provinsi",
    Role.VIEWER: "Peninjau",
}
ROLE_LABELS = {
    Role.ADMIN: _("Admin"),
    Role.MINISTRY: _("Staf Kementerian (pusat)"),
    Role.OPERATOR: _("Operator provinsi"),
    Role.VIEWER: _("Peninjau"),
}
_ROLE_BY_GROUP = {name: role for role, name in GROUP_NAMES.items()}


class _All:
    """Scope sentinel: every province."""

    def __repr__(self):
        return "ALL"


ALL = _All()


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


def is_admin(user):
    return Role.ADMIN in roles_of(user)


def is_ministry(user):
    return Role.MINISTRY in roles_of(user)


def is_operator(user):
    return Role.OPERATOR in roles_of(user)


def visible_provinces(user):
    """ALL, a province id, or None (nothing) — which provinces' data the user may read."""
    roles = roles_of(user)
    if Role.ADMIN in roles or Role.MINISTRY in roles:
        return ALL
    if Role.OPERATOR in roles:
        return user.province_id  # an operator without a province sees nothing
    if Role.VIEWER in roles:
        return user.province_id or ALL
    return None


def editable_provinces(user):
    """ALL, a province id, or None — whose figures the user may enter and change.

    Ministry staff verify and return but never edit a province's figures; viewers only read.
    """
    roles = roles_of(user)
    if Role.ADMIN in roles:
        return ALL
    if Role.OPERATOR in roles:
        return user.province_id
    return None
