from django.urls import path

from .imports import views as import_views
from .views import achievements, activities, budget, calendar, history, plan, registry, review

app_name = "programs"
urlpatterns = [
    path("kegiatan/", activities.activity_list, name="activity_list"),
    path("kegiatan/baru/", activities.activity_create, name="activity_create"),
    path("kegiatan/<int:pk>/", activities.activity_detail, name="activity_detail"),
    path("kegiatan/<int:pk>/ubah/", activities.activity_update, name="activity_update"),
    path("kegiatan/<int:pk>/hapus/", activities.activity_delete, name="activity_delete"),
    path("kegiatan/<int:pk>/riwayat/", activities.activity_history, name="activity_history"),
    # Before the transition pattern, which would take "impor-peserta" for an action.
    path("kegiatan/<int:pk>/impor-peserta/", import_views.participant_import, name="participant_import"),
    path("kegiatan/<int:pk>/<slug:action>/", review.activity_transition, name="activity_transition"),
    path("kegiatan/<int:pk>/peserta-ikm/tambah/", activities.participation_add, name="participation_add"),
    path(
        "kegiatan/<int:pk>/peserta-ikm/baru/",
        activities.participation_new_firm,
        name="participation_new_firm",
    ),
    path("kegiatan/<int:pk>/peserta/tambah/", activities.participant_add, name="participant_add"),
    path("kegiatan/<int:pk>/hasil/tambah/", activities.output_add, name="output_add"),
    path("peserta-ikm/<int:pk>/hapus/", activities.participation_delete, name="participation_delete"),
    path("peserta/<int:pk>/ubah/", activities.participant_edit, name="participant_edit"),
    path("peserta/<int:pk>/hapus/", activities.participant_delete, name="participant_delete"),
    path("hasil/<int:pk>/ubah/", activities.output_edit, name="output_edit"),
    path("hasil/<int:pk>/hapus/", activities.output_delete, name="output_delete"),
    path("hasil/<int:pk>/penyerahan/tambah/", activities.handover_add, name="handover_add"),
    path("penyerahan/<int:pk>/ubah/", activities.handover_edit, name="handover_edit"),
    path("penyerahan/<int:pk>/hapus/", activities.handover_delete, name="handover_delete"),
    path("ikm/", registry.firm_list, name="firm_list"),
    path("ikm/baru/", registry.firm_create, name="firm_create"),
    path("ikm/<int:pk>/", registry.firm_detail, name="firm_detail"),
    path("ikm/<int:pk>/ubah/", registry.firm_update, name="firm_update"),
    path("ikm/<int:pk>/hapus/", registry.firm_delete, name="firm_delete"),
    path("mitra/", registry.partner_list, name="partner_list"),
    path("mitra/baru/", registry.partner_create, name="partner_create"),
    path("mitra/<int:pk>/ubah/", registry.partner_update, name="partner_update"),
    path("mitra/<int:pk>/hapus/", registry.partner_delete, name="partner_delete"),
    path("anggaran/", budget.allocation_list, name="allocation_list"),
    path("anggaran/<int:pk>/", budget.budget, name="budget"),
    path("anggaran/<int:pk>/", budget.budget, name="allocation_detail"),
    path("anggaran/<int:pk>/realisasi/tambah/", budget.realisation_add, name="realisation_add"),
    path("anggaran/<int:pk>/revisi/tambah/", budget.revision_add, name="revision_add"),
    path("anggaran/<int:pk>/rpd/", budget.cash_plan, name="cash_plan"),
    path("anggaran/<int:pk>/rpd/ubah/", budget.cash_plan_edit, name="cash_plan_edit"),
    path("realisasi/<int:pk>/ubah/", budget.realisation_edit, name="realisation_edit"),
    path("realisasi/<int:pk>/hapus/", budget.realisation_delete, name="realisation_delete"),
    path("realisasi/<int:pk>/<slug:action>/", review.realisation_transition, name="realisation_transition"),
    path("verifikasi/", review.review_queue, name="review_queue"),
    path("kalender/", calendar.calendar, name="calendar"),
    # Manual achievement (capaian) of the ROs counted by hand; the action pattern last, as above.
    path("anggaran/<int:pk>/capaian/", achievements.achievement_list, name="achievements"),
    path("anggaran/<int:pk>/capaian/tambah/", achievements.achievement_add, name="achievement_add"),
    path("capaian/<int:pk>/ubah/", achievements.achievement_edit, name="achievement_edit"),
    path("capaian/<int:pk>/hapus/", achievements.achievement_delete, name="achievement_delete"),
    path("capaian/<int:pk>/unduh/", achievements.achievement_download, name="achievement_download"),
    path(
        "capaian/<int:pk>/<slug:action>/", achievements.achievement_transition, name="achievement_transition"
    ),
    path("kegiatan/<int:pk>/lampiran/tambah/", activities.attachment_add, name="attachment_add"),
    path("lampiran/<int:pk>/unduh/", activities.attachment_download, name="attachment_download"),
    path("lampiran/<int:pk>/hapus/", activities.attachment_delete, name="attachment_delete"),
    path("riwayat/<slug:kind>/<int:pk>/", history.history, name="history"),
    path(
        "kegiatan/<int:pk>/impor-peserta/templat/",
        import_views.participant_import_template,
        name="participant_import_template",
    ),
    path("ikm/impor/", import_views.firm_import, name="firm_import"),
    # The plan (DIPA) of an allocation
    path("anggaran/<int:pk>/rencana/", plan.plan, name="plan"),
    path("anggaran/<int:pk>/rencana/ubah/", plan.plan_edit, name="plan_edit"),
    path("anggaran/<int:pk>/rencana/impor/", import_views.plan_import, name="plan_import"),
    path(
        "anggaran/<int:pk>/rencana/impor/templat/",
        import_views.plan_import_template,
        name="plan_import_template",
    ),
    path("ikm/impor/templat/", import_views.firm_import_template, name="firm_import_template"),
]
