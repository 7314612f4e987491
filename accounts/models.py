from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in. Provincial staff carry their province; ministry staff have none."""

    province = models.ForeignKey(
        "provinces.Province",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("provinsi"),
        help_text=_("Diisi untuk operator dan peninjau provinsi; kosong untuk staf kementerian."),
    )
    # Set when an admin creates the account or sets its password: that password is the admin's, so the
    # user chooses their own at the next sign-in, before anything else (accounts/middleware.py).
    must_change_password = models.BooleanField(
        _("wajib ganti kata sandi"),
        default=False,
        help_text=_("Pengguna diminta mengganti kata sandinya saat masuk berikutnya."),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")

    def __str__(self):
        return self.get_full_name() or self.username
