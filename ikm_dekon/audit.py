"""The audit trail: who did what, and who was refused, as structured log lines (see ikm_dekon/logging.py).

Call `audit("import", user=request.user, province=province, object=allocation, rows=120)` from a view or a
service after the fact it records. Every line carries `event`, `user` (user name), `province` (the
province's id, as programs.services logs it; the user's own province when none is given) and `object`
("Model:pk"). Sign-ins, failed sign-ins, lockouts and the second factor are logged by accounts/signals.py
and accounts/views.py; refused access (403, 404) by the middleware below.
"""

import ipaddress
import logging

from django.conf import settings
from django.db.models import Model

log = logging.getLogger("ikm_dekon.audit")
access_log = logging.getLogger("ikm_dekon.access")

_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _username(user):
    if user is None or isinstance(user, str):
        return user
    if not getattr(user, "is_authenticated", False):
        return None
    return user.get_username()


def _province(province, user):
    if province is None:
        return getattr(user, "province_id", None) if _username(user) and not isinstance(user, str) else None
    if isinstance(province, Model):
        return province.pk
    return province


def _object(obj):
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, Model):
        return f"{type(obj).__name__}:{obj.pk}"
    return str(obj)


def client_ip(request):
    """The address of the client, as django-axes locks on it and the audit trail records it.

    Behind `AXES_PROXY_COUNT` (settings.AXES_IPWARE_PROXY_COUNT) reverse proxies, each appending the address
    it received the request from to X-Forwarded-For, the client is that many entries from the right: what
    the outermost proxy saw. Entries further left were written by the client and are never trusted. Without
    proxies, or when the header is shorter than the proxy count (the request bypassed a proxy), or its entry
    is no address: the peer's REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0
    if count <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if len(hops) < count:
        return remote
    candidate = hops[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def audit(event, *, user, province=None, object=None, level=logging.INFO, **extra):
    """Log one audited event. `user` is a user, a user name or None (a command, the system)."""
    fields = {(f"x_{k}" if k in _RESERVED else k): v for k, v in extra.items()}
    log.log(
        level,
        event,
        extra={
            **fields,
            "event": event,
            "user": _username(user),
            "province": _province(province, user),
            "object": _object(object),
        },
    )


class RefusedAccessLogMiddleware:
    """Logs every 403 and 404 answer with who asked for what: probing other provinces' records shows up
    as a run of 404s from one user (scoped lookups answer 404, not 403, so nothing leaks)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in (403, 404):
            user = getattr(request, "user", None)
            forbidden = response.status_code == 403
            access_log.log(
                logging.WARNING if forbidden else logging.INFO,
                "access refused",
                extra={
                    "event": "forbidden" if forbidden else "not_found",
                    "user": _username(user),
                    "province": _province(None, user),
                    "object": None,
                    "path": request.path,
                    "method": request.method,
                    "status": response.status_code,
                },
            )
        return response
