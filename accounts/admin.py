from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + ((_("Wilayah kerja"), {"fields": ["province"]}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((_("Wilayah kerja"), {"fields": ["province"]}),)
    list_display = ["username", "first_name", "last_name", "province", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups", "province"]
    list_select_related = ["province"]
    autocomplete_fields = ["province"]
