"""Confirmation of actions that write many records at once (bulk proposals, round commits).

The confirmation page shows what will happen, with its count, and a form carrying a signed token that names the
action and that count. The POST is carried out only when the box is ticked, the token is genuine, the count still
matches what the action would do now (nothing changed in between) and the token was not used before: reloading
or re-sending the form never repeats the action.
"""
import uuid

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

SALT = "povertyapp.confirmation"
USED_KEY = "used_confirmations"
KEEP_USED = 200  # per session


class ConfirmationForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
    confirmed = forms.BooleanField(label=_("我已核对以上内容和数量,确认执行"), required=True,
                                   error_messages={"required": _("请先勾选确认。")})

    def __init__(self, *args, request, action: str, count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.request, self.action, self.count = request, action, count
        if not self.is_bound:
            self.initial["token"] = signing.dumps({"action": action, "count": count, "nonce": uuid.uuid4().hex},
                                                  salt=SALT)

    def clean_token(self):
        try:
            token = signing.loads(self.cleaned_data["token"], salt=SALT, max_age=24 * 3600)
        except signing.BadSignature:
            raise forms.ValidationError(_("确认已失效,请重新打开本页。")) from None
        if token.get("action") != self.action:
            raise forms.ValidationError(_("确认已失效,请重新打开本页。"))
        if token["nonce"] in self.request.session.get(USED_KEY, []):
            raise forms.ValidationError(_("该操作已经执行过,未重复执行。"), code="repeated")
        if token["count"] != self.count:
            raise forms.ValidationError(
                _("数据已有变化(确认时%(then)s条,现在%(now)s条),请核对后重新确认。")
                % {"then": token["count"], "now": self.count}
            )
        return token

    def consume(self) -> None:
        """Mark the token used: call inside the action's transaction, after it succeeded."""
        used = self.request.session.get(USED_KEY, [])
        self.request.session[USED_KEY] = [*used, self.cleaned_data["token"]["nonce"]][-KEEP_USED:]
