"""Code lists of visit records: kind, event status, observation results and 帮扶措施."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    HOME = "home", _("入户")
    PHONE = "phone", _("电话")
    GROUP = "group", _("集中")


class Status(models.TextChoices):
    """A visit is an event: planned, then done or missed. Overdue is derived (planned, date passed)."""

    PLANNED = "planned", _("计划")
    DONE = "done", _("已走访")
    MISSED = "missed", _("未走访")


class Observation(models.TextChoices):
    """What the visitor found for one of 两不愁三保障 or safe water."""

    SECURE = "secure", _("有保障")
    INSECURE = "insecure", _("无保障")
    UNCHECKED = "unchecked", _("未核查")


# The observed items, in the order the forms show them: (field name, label).
OBSERVATIONS = (
    ("food_clothing", _("吃穿")),
    ("education", _("义务教育")),
    ("medical", _("基本医疗")),
    ("housing", _("住房安全")),
    ("water", _("饮水安全")),
)


class Measure(models.TextChoices):
    """帮扶措施 (五个一批 and the families counties added)."""

    INDUSTRY = "industry", _("产业发展")
    EMPLOYMENT = "employment", _("转移就业")
    RELOCATION = "relocation", _("易地扶贫搬迁")
    ECOLOGICAL = "ecological", _("生态补偿")
    EDUCATION = "education", _("教育扶贫(雨露计划)")
    HEALTH = "health", _("健康扶贫")
    SOCIAL_SECURITY = "social_security", _("低保/特困兜底")
    HOUSING = "housing", _("危房改造")
    MICROCREDIT = "microcredit", _("扶贫小额信贷")
    ASSET_INCOME = "asset_income", _("资产收益")
    SOLAR = "solar", _("光伏扶贫")
    ECOMMERCE = "ecommerce", _("电商扶贫")
    TOURISM = "tourism", _("乡村旅游")
    PUBLIC_WELFARE_JOB = "public_welfare_job", _("公益岗位")
    INFRASTRUCTURE = "infrastructure", _("基础设施")
    PUBLIC_SERVICES = "public_services", _("公共服务")


class VisitState(models.TextChoices):
    """A household's visit state on a day (derived in the query, see VisitHouseholdQuerySet.with_visit_state)."""

    OVERDUE = "overdue", _("逾期未访")
    DUE = "due", _("近期待访")
    SCHEDULED = "scheduled", _("已安排")
    UNSCHEDULED = "unscheduled", _("未安排走访")
