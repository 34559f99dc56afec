"""Forms for proposing cases, taking steps and recording objections; the rules live in reviews.workflow."""
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exits.services import default_year

from .choices import Kind, ObjectionOutcome, Outcome, Step
from .models import validate_scan
from .workflow import DATED_STEPS, StepInput


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


DATE_LABELS = {
    Step.VILLAGE_REVIEW: _("评议会日期"),
    Step.TOWNSHIP_REVIEW: _("审核日期"),
    Step.NOTICE: _("公示开始日期"),
    Step.AGREEMENT: _("签字日期"),
    Step.APPROVAL: _("公告日期"),
}


def override_reason_field():
    return forms.CharField(
        label=_("核查例外理由"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
        help_text=_("该户脱贫核查未通过时,县扶贫办工作人员可写明理由后继续办理。"),
    )


class StepForm(forms.Form):
    """One form for every state step: the fields a step needs are switched on by its transition."""

    decided_on = forms.DateField(label=_("日期"), widget=DateInput(), required=False)
    outcome = forms.ChoiceField(label=_("结果"), choices=Outcome.choices, initial=Outcome.PASSED, widget=forms.RadioSelect)
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    attachment = forms.FileField(
        label=_("扫描件(可选)"), required=False, validators=[validate_scan],
        help_text=_("会议记录、签字页等:PDF、JPEG或PNG"),
    )
    override_reason = override_reason_field()

    def __init__(self, *args, transition, may_override: bool, **kwargs):
        super().__init__(*args, **kwargs)
        step = transition.step
        if step in DATED_STEPS:
            self.fields["decided_on"].required = True
            self.fields["decided_on"].label = DATE_LABELS[step]
            self.fields["decided_on"].initial = timezone.localdate()
        else:
            del self.fields["decided_on"]
        if not transition.rejectable:
            del self.fields["outcome"]
        if step == Step.OVERRIDE:
            self.fields["override_reason"].required = True
            del self.fields["attachment"]
        elif not may_override:
            del self.fields["override_reason"]

    def step_input(self) -> StepInput:
        data = self.cleaned_data
        return StepInput(
            outcome=data.get("outcome") or Outcome.PASSED, decided_on=data.get("decided_on"),
            note=data.get("note", ""), attachment=data.get("attachment"),
            override_reason=data.get("override_reason", ""),
        )


class ProposeForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2014, max_value=2100)
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    override_reason = override_reason_field()

    def __init__(self, *args, kind: str, may_override: bool, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        self.fields["year"].initial = (default_year() or this_year) if kind == Kind.EXIT else this_year
        if kind in (Kind.RETURN, Kind.REMOVAL):
            self.fields["reason"].required = True
            self.fields["reason"].label = _("返贫原因") if kind == Kind.RETURN else _("清退原因")
        else:
            del self.fields["reason"]
        if kind != Kind.EXIT or not may_override:
            del self.fields["override_reason"]

    def step_input(self) -> StepInput:
        data = self.cleaned_data
        return StepInput(note=data.get("note", ""), override_reason=data.get("override_reason", ""))


class ObjectionForm(forms.Form):
    raised_on = forms.DateField(label=_("提出日期"), widget=DateInput())
    raised_by = forms.CharField(label=_("异议人(可匿名)"), max_length=64, required=False)
    content = forms.CharField(label=_("异议内容"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["raised_on"].initial = timezone.localdate()


class ResolveObjectionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("处理结果"), choices=ObjectionOutcome.choices, widget=forms.RadioSelect)
    resolution = forms.CharField(label=_("处理说明"), widget=forms.Textarea(attrs={"rows": 3}))
    resolved_on = forms.DateField(label=_("处理日期"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resolved_on"].initial = timezone.localdate()
