"""Shared REST API machinery: area-scoped viewsets, the capture permission, masked personal data.

Apps only declare (queryset, serializer, filterset); this module applies the
rules every endpoint must follow:
- every queryset goes through `restrict(user, action)`, "view" for reads and
  "change" for writes, so an object outside the area answers 404;
- writes need a capture level on the model (else 403) and must leave the
  object inside the capture scope;
- writes are validated by the model's full_clean() (clean() and the database
  constraints), so the API and the forms give the same Chinese messages;
- ID numbers, phones and bank accounts are masked for roles that may not see
  them; a response that shows them in full is logged, one row per request.

Apps mount their viewsets with `register_route()` from AppConfig.ready(); povertyapp.api_urls builds
the /api/v1/ router from `routes()`, so the floor imports no app.
"""
import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.settings import api_settings

from .access import can
from .masking import personal_fields, wants_reveal
from .models import PersonalDataAccess
from .roles import CHANGE, VIEW

MAX_LOGGED_IDS = 500


@dataclass(frozen=True)
class Route:
    prefix: str
    viewset: type
    basename: str | None = None


_routes: list[Route] = []


def register_route(prefix: str, viewset: type, basename: str | None = None) -> None:
    """Serve `viewset` at /api/v1/<prefix>/ (call from the app's AppConfig.ready())."""
    _routes.append(Route(prefix, viewset, basename))


def routes() -> list[Route]:
    return list(_routes)


def scope_action(request) -> str:
    """The restrict() action for a request: "view" for safe methods, "change" for writes."""
    return VIEW if request.method in permissions.SAFE_METHODS else CHANGE


class CapturePermission(permissions.IsAuthenticated):
    """Signed in; for writes, a role with a capture level on the endpoint's model (else 403)."""

    message = _("您的角色无权录入或修改此类数据。")

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return request.method in permissions.SAFE_METHODS or can(request.user, CHANGE, view.get_queryset().model)


class ApiPagination(LimitOffsetPagination):
    max_limit = 1000


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related-object choice limited by restrict(): by default to what the user may capture."""

    def __init__(self, scope_action: str = CHANGE, **kwargs):
        self.scope_action = scope_action
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return super().get_queryset().restrict(getattr(request, "user", None), self.scope_action)


@dataclass
class _RevealLog:
    """What one request has shown in full: top-level object ids, and whether the current one revealed."""

    object_type: str = ""
    ids: list = field(default_factory=list)
    pending: bool = False


class ScopedModelSerializer(serializers.ModelSerializer):
    """Base serializer: scoped relation choices, masked personal fields, validation by full_clean().

    The model's personal fields (povertyapp.masking) are masked unless the request asks for them
    (`?reveal=true`) and the role may see them. A serializer that nests personal data must itself derive
    from this class, so that the reveal is logged against the top-level object.
    """

    serializer_related_field = ScopedPrimaryKeyRelatedField

    @property
    def personal_fields(self) -> dict[str, Callable[[str], str]]:
        return personal_fields(self.Meta.model)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not wants_reveal(request):
            for name, mask in self.personal_fields.items():
                if data.get(name):
                    data[name] = mask(data[name])
            return data
        log = request.__dict__.setdefault("_personal_data_log", _RevealLog())
        if any(data.get(name) for name in self.personal_fields):
            log.pending = True
        if self._is_top_level() and log.pending:
            log.object_type = instance._meta.model_name
            log.ids.append(instance.pk)
            log.pending = False
        return data

    def _is_top_level(self) -> bool:
        return self.parent is None or (self.parent is self.root and isinstance(self.parent, serializers.ListSerializer))

    def to_internal_value(self, data):
        # A client that sends back a masked value it was shown leaves the stored value alone.
        if self.instance is not None and isinstance(data, Mapping):
            unchanged = [
                name for name, mask in self.personal_fields.items()
                if data.get(name) and data.get(name) == mask(getattr(self.instance, name, "") or "")
            ]
            if unchanged:
                data = data.copy()
                for name in unchanged:
                    data.pop(name)
        return super().to_internal_value(data)

    derived_fields: tuple[str, ...] = ()  # editable fields that the model's clean() may set from others

    def get_validators(self):
        # Uniqueness and other constraints are checked by full_clean() in validate(), with the model's messages.
        return []

    def validate(self, attrs):
        model = self.Meta.model
        instance = copy.copy(self.instance) if self.instance is not None else model()
        for name, value in attrs.items():
            setattr(instance, name, value)
        try:
            instance.full_clean()
        except DjangoValidationError as exc:
            errors = serializers.as_serializer_error(exc)
            if NON_FIELD_ERRORS in errors:
                errors[api_settings.NON_FIELD_ERRORS_KEY] = errors.pop(NON_FIELD_ERRORS)
            raise serializers.ValidationError(errors) from exc
        # clean() may normalise input and derive fields (sex and birth date from the ID number).
        derived = [
            f.name for f in model._meta.concrete_fields
            if not f.editable and not f.primary_key and not getattr(f, "auto_now", False)
            and not getattr(f, "auto_now_add", False)
        ]
        return {name: getattr(instance, name) for name in (*attrs, *derived, *self.derived_fields)}


class AreaScopedMixin:
    """Base of every API viewset: deny by default, restrict() by request method, log reveals."""

    area_scoped = True
    queryset = None
    list_queryset = None  # optional lean queryset and serializer for the list action
    list_serializer_class = None
    permission_classes = [CapturePermission]
    pagination_class = ApiPagination
    # JSON only: the browsable API would render personal data into its forms after the reveal log is written.
    renderer_classes = [JSONRenderer]

    def get_queryset(self):
        queryset = self.queryset
        if self.action == "list" and self.list_queryset is not None:
            queryset = self.list_queryset
        if queryset is None or not hasattr(queryset, "restrict"):
            raise ImproperlyConfigured(f"{type(self).__name__} needs a `queryset` with restrict().")
        return queryset.all().restrict(self.request.user, scope_action(self.request))

    def get_serializer_class(self):
        if self.action == "list" and self.list_serializer_class is not None:
            return self.list_serializer_class
        return super().get_serializer_class()

    def finalize_response(self, request, response, *args, **kwargs):
        log = request.__dict__.get("_personal_data_log")
        if log and log.ids and response.status_code < 400:
            write_reveal_log(request.user, log)
        return super().finalize_response(request, response, *args, **kwargs)


def write_reveal_log(user, log: _RevealLog) -> None:
    """One PersonalDataAccess row for the request; the id list is cut after MAX_LOGGED_IDS."""
    ids = [str(pk) for pk in log.ids]
    text = ",".join(ids[:MAX_LOGGED_IDS])
    if len(ids) > MAX_LOGGED_IDS:
        text += f",…(+{len(ids) - MAX_LOGGED_IDS})"
    PersonalDataAccess.record(user, PersonalDataAccess.Channel.API, log.object_type, text, len(ids))


class AreaScopedReadOnlyViewSet(AreaScopedMixin, viewsets.ReadOnlyModelViewSet):
    """List and detail of the objects in the user's view scope."""


class AreaScopedViewSet(
    AreaScopedMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Read, create and update inside the capture scope. No delete: records leave the register
    through workflows that keep a reason (member left, household removed, pairing ended)."""

    def perform_create(self, serializer):
        self._save_in_scope(serializer)

    def perform_update(self, serializer):
        self._save_in_scope(serializer)

    def _save_in_scope(self, serializer):
        """Save, then deny by default: the saved object must lie inside the user's capture scope."""
        try:
            with transaction.atomic():
                instance = serializer.save()
                if not self.get_queryset().filter(pk=instance.pk).exists():
                    raise PermissionDenied(_("该记录不在您的录入范围内。"))
        except IntegrityError as exc:
            # A concurrent write got there first (full_clean() passed, the database constraint did not).
            raise serializers.ValidationError(_("数据与已有记录冲突,请刷新后重试。")) from exc
