"""Sign-in events into the audit trail, and the session's second-factor flag (see accounts/otp.py)."""

import logging

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django_otp import user_has_device

from ikm_dekon.audit import audit, client_ip

from .otp import HAS_DEVICE_SESSION_KEY


def _ip(request):
    if request is None:
        return None
    return client_ip(request)


@receiver(user_logged_in, dispatch_uid="accounts_signed_in")
def signed_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[HAS_DEVICE_SESSION_KEY] = user_has_device(user)
    audit("sign_in", user=user, ip=_ip(request))


@receiver(user_login_failed, dispatch_uid="accounts_sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in `credentials`; only the user name is logged.
    audit("sign_in_failed", user=credentials.get("username"), ip=_ip(request), level=logging.WARNING)


@receiver(user_locked_out, dispatch_uid="accounts_locked_out")
def locked_out(sender, request, username, ip_address, **kwargs):
    audit("lockout", user=username, ip=ip_address, level=logging.WARNING)


@receiver(user_logged_out, dispatch_uid="accounts_signed_out")
def signed_out(sender, request, user, **kwargs):
    if user is not None:
        audit("sign_out", user=user, ip=_ip(request))
