from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
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
    regency = models.ForeignKey(
        "provinces.Regency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("kabupaten/kota"),
        help_text=_("Diisi untuk operator kabupaten/kota (bersama provinsinya); kosong untuk yang lain."),
    )
    nip = models.CharField(
        _("NIP"),
        max_length=18,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{18}$", _("NIP harus 18 digit angka."))],
        help_text=_("Nomor induk pegawai (18 digit), dicetak di blok tanda tangan laporan."),
    )
    job_title = models.CharField(
        _("jabatan"),
        max_length=200,
        blank=True,
        help_text=_("Mis. Kepala Dinas Perindustrian dan Perdagangan Provinsi Kalimantan Selatan."),
    )
    signing_place = models.CharField(
        _("tempat penandatanganan"),
        max_length=100,
        blank=True,
        help_text=_("Kota tempat laporan ditandatangani, mis. Banjarbaru; dicetak di blok tanda tangan."),
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
        constraints = [
            models.CheckConstraint(
                condition=Q(regency__isnull=True) | Q(province__isnull=False),
                name="user_regency_needs_province",
            ),
            models.CheckConstraint(
                condition=Q(nip="") | Q(nip__regex=r"^[0-9]{18}$"), name="user_nip_18_digits"
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    def clean(self):
        super().clean()
        if self.regency_id is not None:
            if self.province_id is None:
                raise ValidationError({"province": _("Operator kabupaten/kota juga harus punya provinsi.")})
            regency = self.regency
            if self.province_id not in (regency.province_id, regency.former_province_id):
                raise ValidationError({"regency": _("%(r)s tidak berada di provinsi ini.") % {"r": regency}})
