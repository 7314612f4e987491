"""The reports, under /laporan/ (included by ikm_dekon/urls.py)."""

from django.urls import path

from . import report_views as views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("nasional/", views.national, name="national"),
    path("covid/", views.covid, name="covid"),
    path("provinsi/<str:code>/", views.province_report, name="province"),
    path("provinsi/<str:code>/triwulan/<int:quarter>/", views.quarterly, name="quarterly"),
    path("provinsi/<str:code>/triwulan/<int:quarter>/catatan/", views.quarterly_note, name="quarterly_note"),
]
