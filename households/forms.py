"""Forms for the registry pages; model clean() holds the rules, these only arrange fields."""
from django import forms
from django.utils.translation import gettext_lazy as _

from povertyapp.forms import RestrictedModelForm

from . import choices
from .models import Household, IncomeRecord, Member

MEMBER_FIELDS = [
    "name", "id_number", "id_missing_reason", "sex", "birth_date", "relation", "ethnicity", "education", "school_status", "health", "disability_grade",
    "labour_skill", "work_status", "months_worked", "has_medical_insurance", "has_serious_illness_insurance",
    "has_pension_insurance", "receives_subsistence", "receives_destitute_support",
]


class HouseholdForm(RestrictedModelForm):
    """Status and exit year change only through the review workflow or an identification round, not by editing."""

    other_causes = forms.MultipleChoiceField(
        label=_("其他致贫原因"), choices=choices.Cause.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["status"], self.fields["exit_year"]
        else:
            self.fields["status"].choices = [(s.value, s.label) for s in choices.Status.on_entry()]
            del self.fields["exit_year"]

    class Meta:
        model = Household
        fields = [
            "number", "village", "group", "address", "phone", "bank_name", "bank_account", "year_identified",
            "standard", "attribute", "main_cause", "other_causes", "status", "exit_year", "housing_grade",
            "was_dangerous_house", "house_renovated", "housing_area", "safe_drinking_water",
            "food_and_clothing_secure",
        ]


class MemberForm(RestrictedModelForm):
    """Sex and birth date are taken from the ID number when there is one; entered by hand only without it."""

    # As typed (full-width digits, spaces): the model normalises it to 18 characters before checking it.
    id_number = forms.CharField(label=_("证件号码"), max_length=40, required=False)

    class Meta:
        model = Member
        fields = MEMBER_FIELDS
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, household=None, **kwargs):
        super().__init__(*args, **kwargs)
        if household is not None:
            self.instance.household = household

    @property
    def warnings(self) -> tuple[str, ...]:
        """After a valid submission: what the import would say of the ID number (shown, never blocking)."""
        return self.instance.id_warnings


class HeadForm(MemberForm):
    """The head, entered with a new household: relation is fixed."""

    class Meta(MemberForm.Meta):
        fields = [f for f in MEMBER_FIELDS if f != "relation"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.relation = choices.Relation.HEAD


class IncomeRecordForm(RestrictedModelForm):
    class Meta:
        model = IncomeRecord
        fields = [
            "year", "wage_income", "business_income", "property_income", "policy_transfer_income",
            "other_transfer_income", "production_expenses",
        ]

    def __init__(self, *args, household=None, **kwargs):
        super().__init__(*args, **kwargs)
        if household is not None:
            self.instance.household = household
