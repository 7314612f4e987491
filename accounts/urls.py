from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("keamanan/", views.security, name="security"),
    path("kata-sandi/", views.PasswordChange.as_view(), name="password_change"),
    path("kata-sandi/selesai/", views.PasswordChangeDone.as_view(), name="password_change_done"),
    path("verifikasi/", views.otp_verify, name="otp_verify"),
    path("verifikasi/daftar/", views.otp_enrol, name="otp_enrol"),
    path("verifikasi/kode-pemulihan/", views.recovery_codes, name="recovery_codes"),
    path("verifikasi/kode-pemulihan/baru/", views.recovery_codes_new, name="recovery_codes_new"),
    path("verifikasi/matikan/", views.otp_disable, name="otp_disable"),
]
