"""Answers people can read when a request goes wrong, and the one place where input no database column can
hold is turned away.

- `bad_request`, `permission_denied`, `page_not_found`, `server_error`: the 400, 403, 404 and 500 pages
  (templates/400.html …) in the app's look, in the visitor's language (the switch's cookie, else the
  browser's), each saying what happened and where to go next. They are `handler400` … in ikm_dekon/urls.py.
- `RefuseNulBytesMiddleware`: a NUL byte (``%00``) in the path, the query, form data, a file name or a
  header answers 400; PostgreSQL cannot store or compare it, so any query built from it would raise.

An error page must never fail itself: the 500 page (and any page whose full rendering fails) is rendered
without context processors, so it needs neither the database nor the signed-in user.
"""

import contextlib
import logging

from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template import loader
from django.utils import translation

log = logging.getLogger("ikm_dekon.access")

NUL = "\x00"


def _language(request):
    # LocaleMiddleware may not have run (a refusal before it, or an exception that unwound it).
    try:
        return translation.get_language_from_request(request)
    except Exception:  # noqa: BLE001 - an error page falls back to the default language, never fails
        return None


def _bare_context(request):
    """What base.html needs, without a database: the request (for the language switch) and a CSRF token
    (kept in a cookie, not the session)."""
    context = {"request": request}
    with contextlib.suppress(Exception):  # without a token the switch is refused, the page still shows
        context["csrf_token"] = get_token(request)
    return context


def _render(request, template_name, status, context=None, *, full=True):
    context = context or {}
    language = (_language(request) if request is not None else None) or settings.LANGUAGE_CODE
    with translation.override(language):
        template = loader.get_template(template_name)
        body = None
        if full and request is not None:
            try:
                body = template.render(context, request)
            except Exception:  # noqa: BLE001 - e.g. the database went away: fall back to the bare page
                log.exception("error page rendered without its context", extra={"path": request.path})
        if body is None:
            body = template.render({**context, **_bare_context(request)})
    return HttpResponse(body, status=status)


def bad_request(request, exception=None):
    return _render(request, "400.html", 400)


def permission_denied(request, exception=None):
    # Our own refusals carry an Indonesian reason (e.g. "the activity is being verified"): show it.
    reason = str(exception) if exception is not None and exception.args else ""
    return _render(request, "403.html", 403, {"reason": reason})


def page_not_found(request, exception=None):
    return _render(request, "404.html", 404)


def server_error(request):
    return _render(request, "500.html", 500, full=False)


def _has_nul(request):
    if NUL in request.path or NUL in request.path_info:
        return True
    if any(NUL in key or any(NUL in v for v in values) for key, values in request.GET.lists()):
        return True
    if any(NUL in value for key, value in request.META.items() if key.startswith("HTTP_")):
        return True
    if request.method == "POST":
        if any(NUL in key or any(NUL in v for v in values) for key, values in request.POST.lists()):
            return True
        if any(NUL in (f.name or "") for files in request.FILES.lists() for f in files[1]):
            return True
    return False


class RefuseNulBytesMiddleware:
    """Before the session is read: a cookie with a NUL byte is dropped (the visitor simply has no session);
    anything else with one is refused with the 400 page before a view, form or filter sees it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name in [k for k, v in request.COOKIES.items() if NUL in k or NUL in v]:
            del request.COOKIES[name]
        if _has_nul(request):
            log.warning(
                "request refused: NUL byte",
                extra={
                    "event": "bad_request",
                    "path": request.path.replace(NUL, "%00"),
                    "method": request.method,
                },
            )
            return bad_request(request)
        return self.get_response(request)
