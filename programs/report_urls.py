"""The reports, under /laporan/ (included by ikm_dekon/urls.py)."""

from django.urls import path

from .reports import ikpa_views, views

app_name = "reports"
QUARTERS = (1, 2, 3, 4)
urlpatterns = [
    path("", views.index, name="index"),
    path("nasional/", views.national, name="national"),
    path("covid/", views.covid, name="covid"),
    path("provinsi/<str:code>/", views.province_report, name="province"),
    path("provinsi/<str:code>/capaian/", views.capaian, name="capaian"),
    # The PP 39/2006 forms (issue 17): every province's Form C of a quarter; a province's status to share.
    *(
        path(f"nasional/triwulan/{q}/", views.national_forms, {"quarter": q}, name="national_forms")
        for q in QUARTERS
    ),
    path("provinsi/<str:code>/status/", views.province_status, name="province_status"),
    path("ikpa/", ikpa_views.ranking, name="ikpa"),
    path("ikpa/<str:code>/", ikpa_views.province, name="ikpa_province"),
    # One pattern per quarter: the quarter is one of four fixed path segments, never a free number.
    # Reverse them with keywords, e.g. {% url 'reports:quarterly' code=province.code quarter=3 %}.
    *(
        path(f"provinsi/<str:code>/triwulan/{q}/", views.quarterly, {"quarter": q}, name="quarterly")
        for q in QUARTERS
    ),
    *(
        path(
            f"provinsi/<str:code>/triwulan/{q}/catatan/",
            views.quarterly_note,
            {"quarter": q},
            name="quarterly_note",
        )
        for q in QUARTERS
    ),
]
