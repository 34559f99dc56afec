"""Forms whose choice lists only offer what the user may write to."""
from django import forms


class RestrictedModelForm(forms.ModelForm):
    """Every model-choice field's queryset is narrowed with restrict(user, "change")."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and hasattr(queryset, "restrict"):
                field.queryset = queryset.restrict(user, "change")
