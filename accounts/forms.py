from django import forms
from django.contrib.auth.forms import AdminPasswordChangeForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    """One code: six digits from the authenticator app or, on the sign-in step, a recovery code."""

    code = forms.CharField(
        label=_("Kode verifikasi"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )

    def __init__(self, *args, totp_only=False, **kwargs):
        super().__init__(*args, **kwargs)
        if totp_only:
            self.fields["code"].label = _("Kode 6 digit dari aplikasi")
            self.fields["code"].widget.attrs.update(inputmode="numeric", pattern=r"[0-9 ]*")
            self.fields["code"].help_text = ""
        else:
            self.fields["code"].help_text = _(
                "6 digit dari aplikasi autentikator, atau salah satu kode pemulihan Anda."
            )


class OwnPasswordChangeForm(PasswordChangeForm):
    """Django's own password change, refusing to keep the password (an admin chose it, or it leaked)."""

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("new_password2")
        if password and "new_password2" not in self.errors and self.user.check_password(password):
            self.add_error(
                "new_password2",
                forms.ValidationError(
                    _("Kata sandi baru harus berbeda dari kata sandi lama."), code="password_unchanged"
                ),
            )
        return cleaned


class FlaggingAdminPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's "set password": the password is the admin's now, so the user must choose their own."""

    def save(self, commit=True):
        self.user.must_change_password = True
        return super().save(commit=commit)
