"""Admin import/export of villages, cadres, first-secretary postings and work-team memberships."""
from django.utils.translation import gettext_lazy as _
from import_export.fields import Field
from import_export.instance_loaders import CachedInstanceLoader

from povertyapp.resources import (
    ChoiceLabelWidget, DateWidget, IntegerWidget, ScopedForeignKeyWidget, ScopedModelResource, TextWidget,
    YesNoWidget,
)

from .models import Cadre, FirstSecretaryPosting, Township, Village, WorkTeamMembership


class VillageResource(ScopedModelResource):
    """行政村 keyed by its 12-digit code; the township is named by its division code."""

    code = Field(attribute="code", column_name=_("村代码"), widget=TextWidget())
    name = Field(attribute="name", column_name=_("行政村"), widget=TextWidget())
    township = Field(attribute="township", column_name=_("乡镇代码"), widget=ScopedForeignKeyWidget(Township, "code"))
    township_name = Field(attribute="township__name", column_name=_("乡镇"), readonly=True)
    is_poor = Field(attribute="is_poor", column_name=_("贫困村"), widget=YesNoWidget(), default=False)
    planned_exit_year = Field(attribute="planned_exit_year", column_name=_("计划出列年度"), widget=IntegerWidget())
    exit_year = Field(attribute="exit_year", column_name=_("实际出列年度"), widget=IntegerWidget())

    class Meta:
        model = Village
        fields = ("code", "name", "township", "township_name", "is_poor", "planned_exit_year", "exit_year")
        import_id_fields = ["code"]
        instance_loader_class = CachedInstanceLoader  # one query finds every village of the file in scope


class CadreResource(ScopedModelResource):
    """干部 keyed by 干部编号 (blank for a new cadre); postings and pairings name cadres by it."""

    id = Field(attribute="id", column_name=_("干部编号"), widget=IntegerWidget())
    name = Field(attribute="name", column_name=_("姓名"), widget=TextWidget())
    work_unit = Field(attribute="work_unit", column_name=_("工作单位"), widget=TextWidget())
    phone = Field(attribute="phone", column_name=_("联系电话"), widget=TextWidget())

    class Meta:
        model = Cadre
        fields = ("id", "name", "work_unit", "phone")
        import_id_fields = ["id"]
        instance_loader_class = CachedInstanceLoader


def cadre_fields():
    """The cadre columns postings and pairings share: 干部编号 to import by, 干部姓名 to read."""
    return (
        Field(attribute="cadre", column_name=_("干部编号"), widget=ScopedForeignKeyWidget(Cadre, "pk")),
        Field(attribute="cadre__name", column_name=_("干部姓名"), readonly=True),
    )


def period_fields():
    return (
        Field(attribute="start_date", column_name=_("开始日期"), widget=DateWidget()),
        Field(attribute="end_date", column_name=_("结束日期"), widget=DateWidget()),
    )


class VillageAssignmentResource(ScopedModelResource):
    """A cadre's assignment to a village for a period, keyed by cadre, village and start date."""

    cadre, cadre_name = cadre_fields()
    village = Field(attribute="village", column_name=_("村代码"), widget=ScopedForeignKeyWidget(Village, "code"))
    village_name = Field(attribute="village__name", column_name=_("行政村"), readonly=True)
    start_date, end_date = period_fields()

    class Meta:
        import_id_fields = ["cadre", "village", "start_date"]


class FirstSecretaryPostingResource(VillageAssignmentResource):
    class Meta:
        model = FirstSecretaryPosting
        fields = ("cadre", "cadre_name", "village", "village_name", "start_date", "end_date")


class WorkTeamMembershipResource(VillageAssignmentResource):
    duty = Field(
        attribute="duty", column_name=_("职务"), widget=ChoiceLabelWidget(WorkTeamMembership.Duty),
        default=WorkTeamMembership.Duty.MEMBER,
    )

    class Meta:
        model = WorkTeamMembership
        fields = ("cadre", "cadre_name", "village", "village_name", "duty", "start_date", "end_date")
