"""Area-scoped access in one place: `Model.objects.restrict(user, action)`.

Every view, form choice list, API endpoint, export and task narrows its
queryset with `restrict()` (the NetBox pattern), so an object outside the
user's area never appears in a list and answers 404 on its own page.

A model says how it reaches the area tree through `area_paths`, a dict with
any of the keys "township", "village" and "household": the ORM lookup from
the model to that object's primary key ("pk" for the model itself), or a
tuple of lookups any of which may match (for models reached several ways).
The paired-household level asks the app that defines pairings (`register_paired_lookup`).
"""
from collections.abc import Callable

from django.db import models

from .roles import ROLES_SEEING_PERSONAL_DATA, Level, level_for


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view"):
        """Only the rows `user` may see (action "view") or change (any other)."""
        if user is None or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        profile = getattr(user, "staff_profile", None)
        if profile is None:
            return self.none()
        level = level_for(profile.role, action, getattr(self.model, "role_overrides", None))
        if level == Level.COUNTY:
            return self
        condition = area_condition(self.model, level, profile)
        return self.none() if condition is None else self.filter(condition)


RestrictedManager = models.Manager.from_queryset(RestrictedQuerySet)


def area_condition(model, level: str, profile) -> models.Q | None:
    """A Q object limiting `model` to the profile's area at `level`, or None for nothing."""
    paths = getattr(model, "area_paths", {})
    if level == Level.TOWNSHIP and profile.township_id and "township" in paths:
        return _any_path(model, paths["township"], profile.township_id)
    if level == Level.VILLAGE and profile.village_id and "village" in paths:
        return _any_path(model, paths["village"], profile.village_id)
    if level == Level.PAIRED and profile.cadre_id and _paired_lookup is not None:
        for key in ("household", "village"):
            if key in paths:
                return _any_path(model, paths[key], _paired_lookup(profile.cadre_id, key), "__in")
    return None


_paired_lookup: Callable[[int, str], models.QuerySet] | None = None


def register_paired_lookup(lookup: Callable[[int, str], models.QuerySet]) -> None:
    """Set how the paired-household level finds a cadre's area: `lookup(cadre_id, key)` returns a values()
    queryset of the ids of the households (key "household") or villages (key "village") paired with the cadre.
    The app that defines pairings registers it from its AppConfig.ready(); until then that level sees nothing."""
    global _paired_lookup
    _paired_lookup = lookup


def _any_path(model, paths, value, suffix: str = "") -> models.Q:
    """One lookup as a plain condition; several (multi-valued joins) as an OR of `pk IN (subquery)`, one per path,
    so that rows are neither repeated nor joined through every path at once."""
    if isinstance(paths, str):
        return models.Q(**{f"{paths}{suffix}": value})
    condition = models.Q()
    for path in paths:
        condition |= models.Q(pk__in=model._base_manager.filter(**{f"{path}{suffix}": value}).values("pk"))
    return condition


def can(user, action: str, model) -> bool:
    """Whether the user's role grants `action` anywhere on `model` (for buttons and 403s)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    profile = getattr(user, "staff_profile", None)
    if profile is None:
        return False
    return level_for(profile.role, action, getattr(model, "role_overrides", None)) != Level.NONE


def sees_personal_data(user) -> bool:
    """Whether the user's role may see ID numbers, phones and accounts unmasked."""
    if user.is_superuser:
        return True
    profile = getattr(user, "staff_profile", None)
    return profile is not None and profile.role in ROLES_SEEING_PERSONAL_DATA

