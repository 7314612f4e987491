from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from programs.admin import plain_column

from .models import Province, Regency


class RegencyInline(admin.TabularInline):
    model = Regency
    fk_name = "province"
    fields = ["code", "name", "kind", "former_code", "former_province", "moved_in_year"]
    extra = 0
    show_change_link = True


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "established_year_plain", "established_by"]
    search_fields = ["code", "name"]
    list_filter = ["established_year"]
    inlines = [RegencyInline]
    established_year_plain = plain_column("established_year", _("tahun terbentuk"))


@admin.register(Regency)
class RegencyAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "province",
        "former_code",
        "former_province",
        "moved_in_year_plain",
    ]
    list_filter = ["kind", "province", "moved_in_year"]
    search_fields = ["code", "name", "former_code", "province__name"]
    list_select_related = ["province", "former_province"]
    autocomplete_fields = ["province", "former_province"]
    moved_in_year_plain = plain_column("moved_in_year", _("tahun pindah provinsi"))
