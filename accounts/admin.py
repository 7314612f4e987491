from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .forms import FlaggingAdminPasswordChangeForm
from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Wilayah kerja"), {"fields": ["province", "regency", "nip", "job_title", "signing_place"]}),
        (_("Kata sandi"), {"fields": ["must_change_password"]}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((_("Wilayah kerja"), {"fields": ["province", "regency"]}),)
    # The password an admin sets (here or on creation) is the admin's: the user chooses their own at sign-in.
    change_password_form = FlaggingAdminPasswordChangeForm
    list_display = ["username", "first_name", "last_name", "province", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups", "province"]
    list_select_related = ["province"]
    autocomplete_fields = ["province", "regency"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.must_change_password = True
        super().save_model(request, obj, form, change)
