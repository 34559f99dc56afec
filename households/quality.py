"""Data gaps in the register (数据质量): records a verdict cannot be reached on until someone fills them in.

Each gap is a queryset over the whole register, restricted per user by the page; counts and lists are
set-based. The exit check treats the same gaps as "无法评估" (exits.rules); the 回头看 rules build on these.
"""
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from villages.models import Village

from .models import Household, Member


@dataclass(frozen=True)
class Gap:
    code: str
    label: str
    level: str  # "member", "household" or "village": the page's columns
    records: Callable[[], QuerySet]
    hint: str = ""


GAPS = (
    Gap(
        "member_without_id", _("成员无证件号码"), "member",
        lambda: Member.objects.active().filter(id_number="").select_related("household__village__township"),
        _("未办理身份证或户口待登记的在册成员;办理后请补录证件号码。"),
    ),
    Gap(
        "household_without_members", _("户无在册成员"), "household",
        lambda: Household.objects.on_register().without_members().select_related("village__township"),
        _("无在册成员的户无法进行退出检测。"),
    ),
    Gap(
        "housing_unrecorded", _("住房信息未登记"), "household",
        lambda: Household.objects.on_register().housing_unrecorded().select_related("village__township"),
        _("既无住房安全等级,也未登记是否危房户;退出检测中住房安全无法评估。"),
    ),
    Gap(
        "village_without_population", _("村无户籍人口数"), "village",
        lambda: Village.objects.filter(populations__isnull=True).select_related("township"),
        _("无户籍人口数的村无法计算贫困发生率。"),
    ),
)
GAPS_BY_CODE = {gap.code: gap for gap in GAPS}
