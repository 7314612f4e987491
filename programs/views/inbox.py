"""The inbox (pemberitahuan): a signed-in user's own notices, the bell's page. Another's notice answers 404,
to admins too (they resend failed mail from the admin). Marking read is a POST; opening a notice marks it
read and goes to its record."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import access, notices
from .common import paginate


def inbox(request):
    page = paginate(request, notices.inbox_of(request.user))
    return render(
        request,
        "programs/inbox.html",
        {"page": page, "show_errors": access.may_administer(request.user)},
    )


@require_POST
def inbox_read(request, pk):
    notice = get_object_or_404(notices.inbox_of(request.user), pk=pk)
    notices.mark_read(notice)
    # The link was written by this application; only a path on this site is followed all the same.
    if request.POST.get("buka") and notice.link and url_has_allowed_host_and_scheme(notice.link, None):
        return redirect(notice.link)
    return redirect("programs:inbox")


@require_POST
def inbox_read_all(request):
    count = notices.mark_all_read(request.user)
    messages.success(request, _("%(n)s pemberitahuan ditandai dibaca.") % {"n": count})
    return redirect("programs:inbox")
