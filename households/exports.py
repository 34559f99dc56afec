"""户台账 and 成员台账: the household list as filtered on its page, as xlsx in the national flat layout.

Both ledgers start with the flat layout's household columns (县 … 生产经营性支出, in its
order and with its names; incomes are the latest ledger year); the member ledger adds
the flat layout's person columns, one row per active member, so it reads like an
identification-round workbook. Columns the flat layout lacks come last.
"""
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from povertyapp.exports import CHUNK_SIZE, YES_NO, Column, XlsxExportView
from povertyapp.masking import mask_account, mask_id_number, mask_phone

from . import choices
from .filters import HouseholdFilterSet
from .models import Household, IncomeRecord, Member, Pairing
from .rules import per_capita_net_income

INCOME_FIELDS = (
    "wage_income", "business_income", "property_income", "policy_transfer_income", "other_transfer_income",
    "production_expenses",
)
DANGEROUS_GRADES = {choices.HousingGrade.C, choices.HousingGrade.D}

# Row key → lookup from the household. Keys carry "h_" so they never clash with a field of the queried model.
HOUSEHOLD_LOOKUPS = {
    "h_county": "village__township__county__name",
    "h_township": "village__township__name",
    "h_village": "village__name",
    "h_village_code": "village__code",
    "h_group": "group__name",
    "h_number": "number",
    "h_phone": "phone",
    "h_standard": "standard",
    "h_attribute": "attribute",
    "h_main_cause": "main_cause",
    "h_other_causes": "other_causes",
    "h_status": "status",
    "h_year_identified": "year_identified",
    "h_exit_year": "exit_year",
    "h_housing_grade": "housing_grade",
    "h_safe_drinking_water": "safe_drinking_water",
    "h_housing_area": "housing_area",
    "h_address": "address",
    "h_bank_name": "bank_name",
    "h_bank_account": "bank_account",
}


def household_values(household: str) -> dict:
    """values() expressions for the household columns, from a household ("pk") or a member ("household").

    Head, size, latest income year and pairing cadre are correlated subqueries: one query in all.
    """
    prefix = "" if household == "pk" else f"{household}__"
    ref = OuterRef(household)
    active = Member.objects.filter(household=ref, is_active=True)
    head = active.filter(relation=choices.Relation.HEAD)
    latest = IncomeRecord.objects.filter(household=ref).order_by("-year")
    pairing = Pairing.objects.active().filter(household=ref).order_by("start_date", "pk")
    return {
        **{key: F(prefix + lookup) for key, lookup in HOUSEHOLD_LOOKUPS.items()},
        "h_head_name": Subquery(head.values("name")[:1]),
        "h_head_id_number": Subquery(head.values("id_number")[:1]),
        "h_size": Coalesce(Subquery(active.order_by().values("household").annotate(n=Count("pk")).values("n")), 0),
        "h_income_year": Subquery(latest.values("year")[:1]),
        **{f"h_{name}": Subquery(latest.values(name)[:1]) for name in INCOME_FIELDS},
        "h_pairing_cadre": Subquery(pairing.values("cadre__name")[:1]),
    }


def _dangerous(row):
    return row["h_housing_grade"] in DANGEROUS_GRADES if row["h_housing_grade"] else None


def _transfers(row):
    if row["h_income_year"] is None:
        return None
    return row["h_policy_transfer_income"] + row["h_other_transfer_income"]


def _per_capita(row):
    if row["h_income_year"] is None:
        return None
    return per_capita_net_income(
        wage=row["h_wage_income"], business=row["h_business_income"], property_=row["h_property_income"],
        transfers=_transfers(row), expenses=row["h_production_expenses"], household_size=row["h_size"],
    )


# The flat layout's household columns, in its order.
FLAT_HOUSEHOLD_COLUMNS = [
    Column(_("县"), "h_county"),
    Column(_("乡镇"), "h_township"),
    Column(_("行政村"), "h_village"),
    Column(_("村代码"), "h_village_code", width=15),
    Column(_("组"), "h_group"),
    Column(_("户编号"), "h_number", width=16),
    Column(_("户主姓名"), "h_head_name"),
    Column(_("家庭人口数"), "h_size"),
    Column(_("联系电话"), "h_phone", mask=mask_phone, width=14),
    Column(_("识别标准"), "h_standard", labels=choices.IdentificationStandard),
    Column(_("贫困户属性"), "h_attribute", labels=choices.Attribute, width=14),
    Column(_("主要致贫原因"), "h_main_cause", labels=choices.Cause),
    Column(_("其他致贫原因"), "h_other_causes", labels=choices.Cause, many=True, width=16),
    Column(_("脱贫状态"), "h_status", labels=choices.Status, width=18),
    Column(_("识别年度"), "h_year_identified"),
    Column(_("脱贫年度"), "h_exit_year"),
    Column(_("是否危房"), compute=_dangerous, labels=YES_NO),
    Column(_("危房等级"), "h_housing_grade", labels=choices.HousingGrade),
    Column(_("饮水是否安全"), "h_safe_drinking_water", labels=YES_NO),
    Column(_("住房面积"), "h_housing_area"),
    Column(_("工资性收入"), "h_wage_income"),
    Column(_("生产经营性收入"), "h_business_income", width=14),
    Column(_("财产性收入"), "h_property_income"),
    Column(_("转移性收入"), compute=_transfers),
    Column(_("生产经营性支出"), "h_production_expenses", width=14),
]
INCOME_YEAR_COLUMN = Column(_("收入年度"), "h_income_year")

HOUSEHOLD_LEDGER_COLUMNS = [
    *FLAT_HOUSEHOLD_COLUMNS,
    INCOME_YEAR_COLUMN,
    Column(_("人均纯收入"), compute=_per_capita),
    Column(_("户主证件号码"), "h_head_id_number", mask=mask_id_number, width=21),
    Column(_("住址"), "h_address", width=24),
    Column(_("开户银行"), "h_bank_name", width=16),
    Column(_("银行账号"), "h_bank_account", mask=mask_account, width=22),
    Column(_("帮扶责任人"), "h_pairing_cadre"),
]

MEMBER_LEDGER_COLUMNS = [
    *FLAT_HOUSEHOLD_COLUMNS,
    Column(_("姓名"), "name"),
    Column(_("性别"), "sex", labels=choices.Sex),
    Column(_("证件号码"), "id_number", mask=mask_id_number, width=21),
    Column(_("与户主关系"), "relation", labels=choices.Relation),
    Column(_("民族"), "ethnicity", labels=choices.Ethnicity),
    Column(_("文化程度"), "education", labels=choices.Education),
    Column(_("在校生状况"), "school_status", labels=choices.SchoolStatus, width=14),
    Column(_("健康状况"), "health", labels=choices.Health),
    Column(_("劳动技能"), "labour_skill", labels=choices.LabourSkill, width=16),
    Column(_("务工状况"), "work_status", labels=choices.WorkStatus, width=16),
    Column(_("务工时间(月)"), "months_worked"),
    Column(_("是否参加城乡居民基本医疗保险"), "has_medical_insurance", labels=YES_NO),
    Column(_("是否参加大病保险"), "has_serious_illness_insurance", labels=YES_NO),
    Column(_("是否参加城乡居民基本养老保险"), "has_pension_insurance", labels=YES_NO),
    Column(_("是否享受低保"), "receives_subsistence", labels=YES_NO),
    Column(_("是否特困供养"), "receives_destitute_support", labels=YES_NO),
    INCOME_YEAR_COLUMN,
    Column(_("出生日期"), "birth_date"),
    Column(_("残疾等级"), "disability_grade"),
]
MEMBER_FIELDS = [column.key for column in MEMBER_LEDGER_COLUMNS if column.key and not column.key.startswith("h_")]


class HouseholdLedgerView(XlsxExportView):
    """户台账: one row per household of the filtered list."""

    queryset = Household.objects.all()
    filterset_class = HouseholdFilterSet
    columns = HOUSEHOLD_LEDGER_COLUMNS
    title = _("户台账")
    object_type = "household"

    def get_rows(self, queryset):
        rows = queryset.order_by("village__code", "number").values(**household_values("pk"))
        return rows.iterator(chunk_size=CHUNK_SIZE)


class MemberLedgerView(XlsxExportView):
    """成员台账: one row per active member of the filtered households, the household's columns repeated."""

    queryset = Household.objects.all()
    filterset_class = HouseholdFilterSet
    columns = MEMBER_LEDGER_COLUMNS
    title = _("成员台账")
    object_type = "member"

    def get_rows(self, queryset):
        members = Member.objects.restrict(self.request.user, "view").active().filter(
            household__in=queryset.values("pk")
        )
        rows = members.order_by("household__village__code", "household__number", "relation", "birth_date", "pk")
        return rows.values(*MEMBER_FIELDS, **household_values("household")).iterator(chunk_size=CHUNK_SIZE)
