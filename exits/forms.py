"""Forms: start a run (scope limited to what the user may run), and the rule editors for county staff."""
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from povertyapp.forms import RestrictedModelForm
from villages.models import County

from .models import ExitThreshold, PovertyLine, VillageIndicator
from .services import UncheckableYear, checked_line, default_year, may_run_county, runnable_townships


class RunForm(forms.Form):
    year = forms.TypedChoiceField(label=_("检测年度"), coerce=int)
    township = forms.ModelChoiceField(label=_("范围"), queryset=None, required=False)
    line_kind = forms.ChoiceField(
        label=_("收入标准"), choices=PovertyLine.Kind.choices, initial=PovertyLine.Kind.EXIT_CHECK
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        years = PovertyLine.objects.order_by("-year").values_list("year", flat=True).distinct()
        self.fields["year"].choices = [(year, year) for year in years]
        self.fields["year"].initial = default_year()
        township = self.fields["township"]
        township.queryset = runnable_townships(user)
        if may_run_county(user):
            township.empty_label = _("全县")
        else:
            township.required = True
            township.empty_label = None

    def clean(self):
        data = super().clean()
        if data.get("year") and data.get("line_kind"):
            try:
                data["line"] = checked_line(data["year"], data["line_kind"])
            except UncheckableYear as exc:
                raise forms.ValidationError(str(exc)) from exc
        township = data.get("township")
        data["county"] = township.county if township else County.objects.order_by("pk").first()
        if data["county"] is None:
            raise forms.ValidationError(_("尚未建立县级区划。"))
        return data


class PovertyLineForm(RestrictedModelForm):
    class Meta:
        model = PovertyLine
        fields = ["year", "kind", "amount", "verified", "note"]


class VillageIndicatorForm(RestrictedModelForm):
    class Meta:
        model = VillageIndicator
        fields = ["code", "name", "requires_amount", "minimum_amount", "counts", "order"]


THRESHOLD_CHOICES = [("3.00", _("3%(西部省份)")), ("2.00", _("2%"))]


class ExitThresholdForm(RestrictedModelForm):
    province_threshold_percent = forms.TypedChoiceField(
        label=_("贫困发生率退出标准"), choices=THRESHOLD_CHOICES, coerce=Decimal,
        help_text=_("贫困村出列、贫困县摘帽均按此标准;修改后只影响以后的检测。"),
    )

    class Meta:
        model = ExitThreshold
        fields = ["province_threshold_percent"]
