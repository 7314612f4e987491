from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from accounts.otp import second_factor_exempt
from programs.views import home

from . import views

admin.site.site_header = _("IKM Dekon — Administrasi")
admin.site.site_title = _("IKM Dekon")
admin.site.index_title = _("Administrasi")

# Readable pages for refusals and failures, in the visitor's language (ikm_dekon/errors.py).
handler400 = "ikm_dekon.errors.bad_request"
handler403 = "ikm_dekon.errors.permission_denied"
handler404 = "ikm_dekon.errors.page_not_found"
handler500 = "ikm_dekon.errors.server_error"

urlpatterns = [
    path("", home.home, name="home"),
    path("masuk/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("keluar/", second_factor_exempt(auth_views.LogoutView.as_view()), name="logout"),
    path("akun/", include("accounts.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("provinsi/", include("provinces.urls")),
    path("laporan/", include("programs.report_urls")),
    path("", include("programs.urls")),
    path("admin/", admin.site.urls),
]
