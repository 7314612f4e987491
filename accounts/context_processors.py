from .roles import ROLE_LABELS, Role, roles_of


def roles(request):
    """`roles.ministry`, `roles.operator`… for menus; the views decide access, not the templates."""
    user_roles = roles_of(getattr(request, "user", None))
    return {
        "roles": {
            "admin": Role.ADMIN in user_roles,
            "ministry": Role.MINISTRY in user_roles,
            "operator": Role.OPERATOR in user_roles,
            "viewer": Role.VIEWER in user_roles,
            "reviewer": Role.ADMIN in user_roles or Role.MINISTRY in user_roles,
            "labels": [ROLE_LABELS[r] for r in sorted(user_roles)],
        }
    }
