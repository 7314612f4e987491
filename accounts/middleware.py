"""Rules for every signed-in request: an account with an admin-set password changes it first, no page of a
signed-in user is kept by a browser or a shared cache, and the session's idle expiry slides forward without
a write per request.
"""

from django.contrib.auth.views import LogoutView, PasswordChangeView, redirect_to_login
from django.contrib.sessions.middleware import SessionMiddleware
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.deprecation import MiddlewareMixin

from .otp import user_has_device


class SlidingSessionMiddleware(SessionMiddleware):
    """Django's SessionMiddleware, with SESSION_SAVE_EVERY_REQUEST off: a session that a request read is
    written again only when its data changed or its stored expiry went stale (accounts/sessions), so an
    idle session still ends SESSION_COOKIE_AGE after the user's last requests and never later."""

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if (
            session is not None
            and session.accessed
            and not session.modified
            and not session.is_empty()
            and session.expiry_is_stale()
        ):
            session.modified = True
        return super().process_response(request, response)


# The pages an account with an admin-set password may reach: the change itself and signing out.
_REACHABLE_BEFORE_THE_CHANGE = (PasswordChangeView, LogoutView)


class PasswordChangeRequiredMiddleware(MiddlewareMixin):
    """After AuthenticationMiddleware and before accounts.otp.SecondFactorMiddleware.

    A new account, or one whose password an admin set (`User.must_change_password`), reaches nothing but
    the password change page and sign-out until the user chose their own password — before enrolling or
    enrolling a second factor, so an authenticator is never bound to a session opened with the admin's
    password alone; the change page is reachable then without the second factor. An account that already
    has an authenticator types its code first and changes the password after.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        public = not getattr(view_func, "login_required", True)
        if public or user is None or not user.is_authenticated or not user.must_change_password:
            return None
        if not user.is_verified() and user_has_device(user):
            # An account that has an authenticator proves it first (SecondFactorMiddleware), then changes
            # the password: an admin-set password alone must never be enough to take the account over.
            return None
        if issubclass(getattr(view_func, "view_class", type(None)), _REACHABLE_BEFORE_THE_CHANGE):
            # The second factor comes after the change (SecondFactorMiddleware lets this page through).
            request.password_change_first = True
            return None
        return redirect_to_login(request.get_full_path(), reverse("accounts:password_change"))


class PrivatePagesMiddleware:
    """`Cache-Control: private, no-store` on every answer to a signed-in user.

    Any page behind the sign-in may show personal data — participants' names, masked NIK and phone
    numbers on an activity, firm owners and phones, who changed what on a history page, the user's own name
    in the menu — so none may be stored by a browser's disk cache or a proxy and be read back by the next
    person at a shared office computer. Exports and evidence downloads set the same header themselves.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
