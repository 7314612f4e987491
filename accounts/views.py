"""Account pages: the second sign-in step, enrolment of an authenticator app, recovery codes, "Keamanan
akun". The rules (who must, what counts as a code) live in accounts/otp.py."""

import logging
from urllib.parse import urlencode

import django_otp
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice

from ikm_dekon.audit import audit

from . import otp
from .forms import CodeForm, OwnPasswordChangeForm


def _next_url(request):
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("home")


def _with_next(name, next_url):
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def _verified(request, device):
    """The second factor is accepted: mark the session, and give it a new key (its rights just grew)."""
    django_otp.login(request, device)
    request.session.cycle_key()


@otp.second_factor_exempt
@never_cache
def otp_verify(request):
    user, next_url = request.user, _next_url(request)
    if user.is_verified():
        return redirect(next_url)
    if not user_has_device(user):
        if otp.second_factor_required(user):
            return redirect(_with_next("accounts:otp_enrol", next_url))
        return redirect(next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, error = otp.check_code(user, form.cleaned_data["code"])
        if device is not None:
            _verified(request, device)
            recovery = isinstance(device, StaticDevice)
            audit("second_factor_verified", user=user, method="recovery_code" if recovery else "totp")
            if recovery:
                messages.warning(
                    request,
                    _("Anda masuk dengan kode pemulihan; tersisa %(n)s. Buat kode baru di Keamanan akun.")
                    % {"n": otp.recovery_codes_left(user)},
                )
            return redirect(next_url)
        audit("second_factor_failed", user=user, level=logging.WARNING)
        form.add_error("code", error)
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url})


@otp.second_factor_exempt
@never_cache
def otp_enrol(request):
    user, next_url = request.user, _next_url(request)
    if user_has_device(user):
        # A second authenticator is added only by removing the first (an admin resets it): someone who has
        # just the password must not be able to enrol their own phone.
        if user.is_verified():
            return redirect("accounts:security")
        return redirect(_with_next("accounts:otp_verify", next_url))
    device = otp.pending_totp(user)
    form = CodeForm(request.POST or None, totp_only=True)
    if request.method == "POST" and form.is_valid():
        accepted, error = otp.check_code(user, form.cleaned_data["code"], device=device)
        if accepted is not None:
            accepted.confirmed = True
            accepted.save(update_fields=["confirmed"])
            codes = otp.new_recovery_codes(user)
            _verified(request, accepted)
            request.session[otp.HAS_DEVICE_SESSION_KEY] = True
            request.session[otp.RECOVERY_CODES_SESSION_KEY] = codes
            audit("second_factor_enrolled", user=user, object=accepted)
            return redirect(_with_next("accounts:recovery_codes", next_url))
        audit("second_factor_failed", user=user, level=logging.WARNING, step="enrolment")
        form.add_error("code", error)
    return render(
        request,
        "accounts/otp_enrol.html",
        {
            "form": form,
            "next": next_url,
            "qr_svg": otp.qr_svg(device.config_url),
            "secret": otp.secret_text(device),
            "required": otp.second_factor_required(user),
        },
    )


@never_cache
def recovery_codes(request):
    """Shows the codes just made, once: they leave the session as the page is rendered."""
    codes = request.session.pop(otp.RECOVERY_CODES_SESSION_KEY, None)
    if not codes:
        return redirect("accounts:security")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _next_url(request)})


@never_cache
def security(request):
    user = request.user
    totp = otp.confirmed_totp(user)
    return render(
        request,
        "accounts/security.html",
        {
            "totp": totp,
            "codes_left": otp.recovery_codes_left(user) if totp else 0,
            "required": otp.second_factor_required(user),
        },
    )


def _require_verified_device(request):
    if not (user_has_device(request.user) and request.user.is_verified()):
        raise PermissionDenied


@require_POST
def recovery_codes_new(request):
    _require_verified_device(request)
    request.session[otp.RECOVERY_CODES_SESSION_KEY] = otp.new_recovery_codes(request.user)
    audit("recovery_codes_renewed", user=request.user)
    return redirect("accounts:recovery_codes")


@require_POST
def otp_disable(request):
    """Operators and viewers may turn off what they turned on; admins and ministry staff may not."""
    _require_verified_device(request)
    if otp.second_factor_required(request.user):
        raise PermissionDenied
    otp.forget_devices(request.user)
    request.session.pop(otp.HAS_DEVICE_SESSION_KEY, None)
    audit("second_factor_disabled", user=request.user, level=logging.WARNING)
    messages.success(request, _("Verifikasi dua langkah dimatikan."))
    return redirect("accounts:security")


# --- The user's own password ----------------------------------------------------------------------------


class PasswordChange(auth_views.PasswordChangeView):
    """Django's password change, in the app's look; clears the admin-set flag (accounts/middleware.py)."""

    form_class = OwnPasswordChangeForm
    success_url = reverse_lazy("accounts:password_change_done")
    title = gettext_lazy("Ganti kata sandi")

    def form_valid(self, form):
        form.user.must_change_password = False  # saved with the new password, in one write
        response = super().form_valid(form)
        audit("password_changed", user=form.user)
        return response

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "required": self.request.user.must_change_password}


class PasswordChangeDone(auth_views.PasswordChangeDoneView):
    title = gettext_lazy("Kata sandi diganti")
