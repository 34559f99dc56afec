"""Roles and what each may do: the one place that says who sees and edits what.

A role grants, per action, an area *level*: the whole county, the user's
township, the user's village, the households the user is paired with, or
nothing. `restrict()` (see access.py) turns the level into a filter.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COUNTY_STAFF = "county_staff", _("县扶贫办工作人员")
    TOWNSHIP_CADRE = "township_cadre", _("乡镇干部")
    FIRST_SECRETARY = "first_secretary", _("第一书记")
    PAIRING_CADRE = "pairing_cadre", _("帮扶责任人")
    AUDITOR = "auditor", _("审计/督查(只读)")


class Level(models.TextChoices):
    COUNTY = "county", _("全县")
    TOWNSHIP = "township", _("本乡镇")
    VILLAGE = "village", _("本村")
    PAIRED = "paired", _("结对户")
    NONE = "none", _("无")


VIEW = "view"
CHANGE = "change"
ACTIONS = (VIEW, CHANGE)

# View scope and capture (change) scope, per role. They differ where a role
# may look wider than it may write: an auditor sees the county, writes nothing.
ROLE_LEVELS: dict[str, dict[str, str]] = {
    Role.COUNTY_STAFF: {VIEW: Level.COUNTY, CHANGE: Level.COUNTY},
    Role.TOWNSHIP_CADRE: {VIEW: Level.TOWNSHIP, CHANGE: Level.TOWNSHIP},
    Role.FIRST_SECRETARY: {VIEW: Level.VILLAGE, CHANGE: Level.VILLAGE},
    Role.PAIRING_CADRE: {VIEW: Level.PAIRED, CHANGE: Level.NONE},
    Role.AUDITOR: {VIEW: Level.COUNTY, CHANGE: Level.NONE},
}

# Roles that may see ID numbers, phones and bank accounts in full (each reveal is logged).
ROLES_SEEING_PERSONAL_DATA = {Role.COUNTY_STAFF, Role.TOWNSHIP_CADRE}


def level_for(role: str | None, action: str, overrides: dict | None = None) -> str:
    """The area level `role` holds for `action`; a model may widen or narrow it."""
    if action not in ACTIONS:
        action = CHANGE
    if overrides and role in overrides and action in overrides[role]:
        return overrides[role][action]
    return ROLE_LEVELS.get(role, {}).get(action, Level.NONE)
