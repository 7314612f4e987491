"""Two-factor sign-in: a TOTP authenticator app, with ten single-use recovery codes (django-otp).

Required for admins and ministry staff, optional for operators and viewers. After the password, a user who
needs the second factor reaches nothing but the pages marked `second_factor_exempt` (enrolment, the code
page, sign-out), public pages (sign-in, /healthz) and nothing else — the Django admin included — until a
code is accepted. Someone who enrolled voluntarily is asked for the code at every sign-in too.
"""

import base64
import re

import qrcode
import qrcode.image.svg
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from programs.access import needs_second_factor

# Set at sign-in (and on enrolment): this session's user has a device, so this session must be verified.
# Kept in the session so that users without a device pay no query per request.
HAS_DEVICE_SESSION_KEY = "accounts_otp_has_device"
# The recovery codes, shown once right after they were made, then dropped from the session.
RECOVERY_CODES_SESSION_KEY = "accounts_otp_new_recovery_codes"
RECOVERY_CODE_COUNT = 10
TOTP_NAME = "Aplikasi autentikator"
RECOVERY_NAME = "Kode pemulihan"


def second_factor_required(user):
    """Admins and ministry staff see and change every province's data: a password alone is not enough."""
    return needs_second_factor(user)


def second_factor_exempt(view):
    """Mark a view reachable between the password and the second factor."""
    view.second_factor_exempt = True
    return view


class SecondFactorMiddleware(MiddlewareMixin):
    """After AuthenticationMiddleware and django-otp's OTPMiddleware (which sets `user.is_verified()`)."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        public = not getattr(view_func, "login_required", True)
        if public or getattr(view_func, "second_factor_exempt", False):
            return None
        if getattr(request, "password_change_first", False):
            # An admin-set password is changed before the second factor (accounts/middleware.py).
            return None
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        required = second_factor_required(user)
        if not required and not request.session.get(HAS_DEVICE_SESSION_KEY):
            return None
        has_device = user_has_device(user)
        if not has_device and not required:
            # An operator whose device an admin removed since sign-in: back to password only.
            request.session.pop(HAS_DEVICE_SESSION_KEY, None)
            return None
        target = reverse("accounts:otp_verify" if has_device else "accounts:otp_enrol")
        return redirect_to_login(request.get_full_path(), target)


# --- Devices ------------------------------------------------------------------------------------------------


def confirmed_totp(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def pending_totp(user):
    """The authenticator being set up: the same key across reloads of the enrolment page until confirmed."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def secret_text(device):
    """The key as authenticator apps type it in: base32 in groups of four."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_svg(data):
    """The QR code as inline SVG markup (no data: URI, no script: fits the Content Security Policy)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    # named for a screen reader, which cannot read the picture (the key is also shown as text)
    label = escape(_("Kode QR untuk aplikasi autentikator"))
    head = f'<svg class="qr-code" role="img" aria-label="{label}"'
    svg = re.sub(r'^<svg width="[^"]*" height="[^"]*"', head, svg)
    # Accepted: our own markup from the QR generator, whose only input (the otpauth URL) is drawn as modules,
    # never copied into the markup.
    return mark_safe(svg)  # noqa: S308  # nosec B308, B703


def new_recovery_codes(user):
    """Replace the user's recovery codes with ten new single-use ones; returns them (shown once)."""
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def forget_devices(user):
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def _normalise(code):
    return "".join((code or "").split()).lower()


def _throttled(device):
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    return _("Terlalu banyak kode yang salah. Tunggu sebentar lalu coba lagi.")


def check_code(user, code, *, device=None):
    """The device that accepts `code` (a 6-digit TOTP code or a recovery code), or (None, message).

    Each device backs off after a wrong code (1, 2, 4, 8… seconds); a TOTP code is accepted once only and a
    recovery code is deleted when used. `device`: check only that one (enrolment's unconfirmed device).
    """
    code = _normalise(code)
    wrong = _("Kode salah atau sudah kedaluwarsa. Periksa jam di ponsel Anda lalu coba lagi.")
    if not code:
        return None, wrong
    with transaction.atomic():
        if device is not None:
            candidates = list(TOTPDevice.objects.select_for_update().filter(pk=device.pk))
        elif len(code) == 6 and code.isdigit():
            candidates = list(TOTPDevice.objects.devices_for_user(user, confirmed=True).select_for_update())
        else:
            candidates = list(StaticDevice.objects.devices_for_user(user, confirmed=True).select_for_update())
        for candidate in candidates:
            message = _throttled(candidate)
            if message:
                return None, message
        for candidate in candidates:
            if candidate.verify_token(code):
                return candidate, None
    return None, wrong
