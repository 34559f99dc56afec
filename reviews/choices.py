"""Code lists of the review workflow: case kinds, states, steps and outcomes."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    EXIT = "exit", _("脱贫")
    IDENTIFICATION = "identification", _("识别纳入")
    RETURN = "return", _("返贫")
    REMOVAL = "removal", _("清退")


class State(models.TextChoices):
    PROPOSED = "proposed", _("已提议")
    VILLAGE_REVIEWED = "village_reviewed", _("村评议通过")
    TOWNSHIP_REVIEWED = "township_reviewed", _("乡审核通过")
    NOTICE = "notice", _("公示中")
    SIGNED = "signed", _("户已签字确认")
    APPROVED = "approved", _("县审批已公告")
    REJECTED = "rejected", _("未通过")

    @classmethod
    def closed(cls):
        return [cls.APPROVED, cls.REJECTED]

    @classmethod
    def open(cls):
        return [state for state in cls.values if state not in cls.closed()]


class Step(models.TextChoices):
    PROPOSE = "propose", _("提议")
    VILLAGE_REVIEW = "village_review", _("村评议")
    TOWNSHIP_REVIEW = "township_review", _("乡审核")
    NOTICE = "notice", _("公示")
    AGREEMENT = "agreement", _("户签字确认")
    APPROVAL = "approval", _("县审批并公告")
    OBJECTION = "objection", _("登记异议")
    RESOLVE_OBJECTION = "resolve_objection", _("处理异议")
    OVERRIDE = "override", _("县级核查例外")


class Outcome(models.TextChoices):
    PASSED = "passed", _("通过")
    REJECTED = "rejected", _("不通过")


class ObjectionOutcome(models.TextChoices):
    DISMISSED = "dismissed", _("异议不成立")
    UPHELD = "upheld", _("异议成立")
