from django import forms
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
