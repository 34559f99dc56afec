"""Forms whose choice lists only offer what the user may write to, and that never show personal data unasked."""
from django import forms
from django.utils.translation import gettext_lazy as _

from .masking import personal_fields


class RestrictedModelForm(forms.ModelForm):
    """Every model-choice field's queryset is narrowed with restrict(user, "change").

    Personal fields (povertyapp.masking) start masked unless the view passes `reveal=True` (after checking the
    role and logging the reveal); a masked value sent back unchanged keeps the stored one.
    """

    def __init__(self, *args, user, reveal: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and hasattr(queryset, "restrict"):
                field.queryset = queryset.restrict(user, "change")
        self.masked = {} if reveal else {
            name: mask(stored) for name, mask in personal_fields(self._meta.model).items()
            if name in self.fields and (stored := getattr(self.instance, name, ""))
        }
        for name, shown in self.masked.items():
            self.initial[name] = shown
            self.fields[name].help_text = _("已隐藏;原样提交则保留原值,输入新值则替换。")

    @property
    def shows_masked_data(self) -> bool:
        return bool(self.masked)

    def clean(self):
        cleaned = super().clean()
        for name, shown in self.masked.items():
            if cleaned.get(name) == shown:
                cleaned[name] = getattr(self.instance, name)
        return cleaned
