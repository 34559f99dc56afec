"""Who may take which review step: the one place.

Two gates, in this order: the user's role must be listed for the step
(else 403), and the household must lie inside the user's capture scope,
restrict(user, "change") (else 404). Auditors and pairing cadres hold no
step: they read cases in their view scope and change nothing.
"""
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from povertyapp.roles import Role

from .choices import Step
from .models import Case

VILLAGE_LEVEL = frozenset({Role.FIRST_SECRETARY, Role.TOWNSHIP_CADRE})
NOTICE_KEEPERS = frozenset({Role.TOWNSHIP_CADRE, Role.COUNTY_STAFF})

STEP_ROLES: dict[str, frozenset] = {
    Step.PROPOSE: frozenset({Role.FIRST_SECRETARY, Role.TOWNSHIP_CADRE, Role.COUNTY_STAFF}),
    Step.VILLAGE_REVIEW: VILLAGE_LEVEL,
    Step.TOWNSHIP_REVIEW: frozenset({Role.TOWNSHIP_CADRE}),
    Step.NOTICE: NOTICE_KEEPERS,
    Step.OBJECTION: NOTICE_KEEPERS,
    Step.RESOLVE_OBJECTION: NOTICE_KEEPERS,
    Step.AGREEMENT: VILLAGE_LEVEL | {Role.COUNTY_STAFF},
    Step.APPROVAL: frozenset({Role.COUNTY_STAFF}),
    Step.OVERRIDE: frozenset({Role.COUNTY_STAFF}),
}

# Only county staff may let an exit go on although the household's check fails (with a written reason).
CHECK_OVERRIDERS = frozenset({Role.COUNTY_STAFF})


def _role(user) -> str | None:
    profile = getattr(user, "staff_profile", None)
    return profile.role if profile is not None else None


def may(user, step: str) -> bool:
    """Whether the user's role may take `step` at all (inside their capture scope)."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or _role(user) in STEP_ROLES[step]


def may_override_check(user) -> bool:
    return user.is_authenticated and (user.is_superuser or _role(user) in CHECK_OVERRIDERS)


def require(user, step: str) -> None:
    if not may(user, step):
        raise PermissionDenied


def writable_case(user, pk: int, step: str) -> Case:
    """The case `pk` for taking `step`: 403 for a role without the step, 404 outside the capture scope."""
    require(user, step)
    return get_object_or_404(Case.objects.restrict(user, "change").select_related("household"), pk=pk)
