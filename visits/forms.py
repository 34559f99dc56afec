"""Forms for recording a visit on a phone, rescheduling a missed one, and choosing a coverage period."""
import datetime

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from povertyapp.forms import RestrictedModelForm

from . import rules
from .choices import OBSERVATIONS, Measure, Status
from .models import Visit
from .photos import check_photo


class DateInput(forms.DateInput):
    """The phone's own date picker."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class MultiplePhotoInput(forms.FileInput):
    allow_multiple_selected = True

    def __init__(self, attrs=None):
        super().__init__({"accept": "image/jpeg,image/png", "multiple": True, **(attrs or {})})


class PhotosField(forms.FileField):
    """Several photos in one input; cleaned to (upload, content type) pairs, each checked by its content."""

    widget = MultiplePhotoInput

    def clean(self, data, initial=None):
        uploads = [upload for upload in (data if isinstance(data, (list, tuple)) else [data]) if upload]
        checked, errors = [], []
        for upload in uploads:
            try:
                checked.append((upload, check_photo(super().clean(upload, initial))))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            errors.append(_("照片未保存,请重新选择合格的照片(其他已填内容已保留)。"))
            raise ValidationError(errors)
        return checked


class PlanField(forms.IntegerField):
    """Hidden: the open plan the form was shown for, so that a second tap on "save" cannot complete the next plan.

    It always renders the current plan (never the posted value), so a refused form can be checked and sent again.
    """

    widget = forms.HiddenInput

    def __init__(self):
        super().__init__(required=False)

    def bound_data(self, data, initial):
        return initial


class VisitForm(RestrictedModelForm):
    """Record a visit to `instance.household` (a new visit or the household's open plan, which it completes)."""

    measures = forms.MultipleChoiceField(
        label=_("帮扶措施"), choices=Measure.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("本次商议或落实的措施,可多选"),
    )
    next_planned_date = forms.DateField(
        label=_("下次走访日期"), required=False, widget=DateInput(), help_text=_("留空则不安排下次走访"),
    )
    photos = PhotosField(label=_("照片"), required=False)
    plan = PlanField()

    class Meta:
        model = Visit
        fields = [
            "actual_date", "kind", "visitor",
            *(name for item, _label in OBSERVATIONS for name in (item, f"{item}_note")),
            "measures", "needs",
        ]
        widgets = {
            "actual_date": DateInput(),
            "kind": forms.RadioSelect,
            **{item: forms.RadioSelect for item, _label in OBSERVATIONS},
            **{f"{item}_note": forms.TextInput(attrs={"placeholder": _("无保障时必填")}) for item, _label in OBSERVATIONS},
            "needs": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        today = timezone.localdate()
        self.instance.status = Status.DONE  # recording means done (model clean() then asks for the date)
        self.fields["photos"].help_text = _("JPEG 或 PNG,每张不超过%(limit)s,可多选") % {
            "limit": filesizeformat(settings.VISIT_PHOTO_MAX_BYTES)
        }
        self.fields["actual_date"].required = True
        if self.instance.actual_date is None:  # a plan's empty date would hide the field's initial
            self.initial["actual_date"] = today
        self.initial["plan"] = self.instance.pk
        self.fields["next_planned_date"].initial = rules.next_visit_date(self.instance.household, today)
        if rules.is_pairing_cadre(user):
            del self.fields["visitor"]  # a pairing cadre records their own visits
            self.instance.visitor = rules.own_cadre(user)
        else:
            self.fields["visitor"].queryset = rules.visitor_choices(user)
            if self.instance.visitor_id is None:
                self.fields["visitor"].initial = rules.own_cadre(user)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("plan") != self.instance.pk:
            self.add_error(None, _("此户的走访计划已有变化(可能刚刚已记录过),请核对后再提交。"))
        try:
            rules.check_next_date(cleaned.get("actual_date"), cleaned.get("next_planned_date"))
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned

    def save(self, commit=True):
        return rules.record_visit(
            self.instance, next_planned_date=self.cleaned_data.get("next_planned_date"),
            photos=self.cleaned_data.get("photos") or [], recorded_by=self.user,
        )


class RescheduleForm(forms.Form):
    """A planned visit that did not take place: when to go instead."""

    new_date = forms.DateField(label=_("改期至"), widget=DateInput())

    def clean_new_date(self):
        value = self.cleaned_data["new_date"]
        if value < timezone.localdate():
            raise ValidationError(_("新的走访日期不能早于今天。"))
        return value


class CoverageForm(forms.Form):
    """The period and thresholds of the coverage reports; defaults come from the county's visit policy.

    The period (default: the last visit interval) and the days without a visit are capped at
    MAX_PERIOD_DAYS, so that a report reads at most a year of visits.
    """

    MAX_PERIOD_DAYS = 366

    date_from = forms.DateField(label=_("起始日期"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DateInput())
    days = forms.IntegerField(label=_("未走访天数"), min_value=1, max_value=MAX_PERIOD_DAYS, required=False)
    threshold = forms.IntegerField(label=_("结对户数上限"), min_value=1, max_value=1000, required=False)

    def __init__(self, data, *, policy, today: datetime.date):
        super().__init__(data)
        self.defaults = {
            "date_from": today - datetime.timedelta(days=policy.interval_days), "date_to": today,
            "days": policy.interval_days, "threshold": policy.max_households_per_cadre,
        }
        for name, value in self.defaults.items():
            self.fields[name].widget.attrs["placeholder"] = str(value)

    def clean(self):
        cleaned = super().clean()
        if "date_from" not in cleaned or "date_to" not in cleaned:  # one is not a date (its own error)
            cleaned.pop("date_from", None)
            cleaned.pop("date_to", None)  # the default period, never a period open at one end
            return cleaned
        start = cleaned["date_from"] or self.defaults["date_from"]
        end = cleaned["date_to"] or self.defaults["date_to"]
        if start > end:
            self._refuse_period(_("截止日期不能早于起始日期。"))
        elif (end - start).days > self.MAX_PERIOD_DAYS:
            self._refuse_period(_("统计期不能超过%(days)s天。") % {"days": self.MAX_PERIOD_DAYS})
        return cleaned

    def _refuse_period(self, message):
        """An invalid period: the error on the end date, and both dates back to the default period."""
        self.add_error("date_to", message)
        self.cleaned_data.pop("date_from", None)

    def values(self) -> dict:
        """The chosen values, each falling back to its default when empty or invalid."""
        self.is_valid()  # cleaned_data then holds the fields that are valid
        chosen = getattr(self, "cleaned_data", {})
        return {name: chosen.get(name) or default for name, default in self.defaults.items()}
