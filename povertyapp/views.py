"""Generic area-scoped views: apps declare a queryset, a template and (for edits) a form.

Deny by default: every view the URLconf exposes is either an `AreaScopedMixin`
subclass (its queryset goes through `restrict()`), wrapped by `area_scoped`, or
marked `public_view` on purpose; tests/test_url_scoping.py walks the URLconf and
fails on anything else.
"""
from functools import wraps

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django.views import generic

from .access import can, sees_personal_data
from .masking import personal_fields, wants_reveal
from .models import PersonalDataAccess
from .navigation import list_actions


class AreaScopedMixin(LoginRequiredMixin):
    """Narrows `queryset` to the user's area for `action` ("view" or "change")."""

    area_scoped = True
    action = "view"
    queryset = None

    def dispatch(self, request, *args, **kwargs):
        if self.queryset is None:
            raise ImproperlyConfigured(f"{type(self).__name__} must declare a queryset")
        if request.user.is_authenticated and not can(request.user, self.action, self.queryset.model):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return self.queryset.restrict(self.request.user, self.action)


def area_scoped(view):
    """Marks a function view that restricts every queryset it touches itself."""
    view.area_scoped = True
    return view


def public_view(view):
    """Marks a view that shows no area data (login, health check)."""
    view.public_view = True
    return view


class ObjectListView(AreaScopedMixin, generic.ListView):
    """A filtered, paginated list; `filterset_class` is a django-filter FilterSet."""

    filterset_class = None
    paginate_by = 50
    page_name = None  # list actions registered for this page (povertyapp.navigation) appear above the table

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.filterset_class is None:
            return queryset
        self.filterset = self.filterset_class(self.request.GET or None, queryset=queryset, request=self.request)
        return self.filterset.qs if self.filterset.is_bound and self.filterset.is_valid() else queryset

    def decorate(self, queryset):
        """Per-row extras (annotations, joins) for the rows of one page only; override where a list needs them."""
        return queryset

    def paginate_queryset(self, queryset, page_size):
        # Page through bare primary keys, then decorate just that page: deep pages and expensive
        # annotations would otherwise be computed for every row skipped by OFFSET.
        paginator, page, rows, is_paginated = super().paginate_queryset(queryset.values_list("pk", flat=True), page_size)
        decorated = {row.pk: row for row in self.decorate(queryset.filter(pk__in=list(rows)))}
        page.object_list = [decorated[pk] for pk in rows if pk in decorated]
        return paginator, page, page.object_list, is_paginated

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filterset"] = getattr(self, "filterset", None)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
        context["can_change"] = can(self.request.user, "change", self.queryset.model)
        context["list_actions"] = list_actions(self.page_name, self.request.user) if self.page_name else []
        return context


class ObjectDetailView(AreaScopedMixin, generic.DetailView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        writable = self.queryset.restrict(self.request.user, "change")
        context["can_change"] = writable.filter(pk=self.object.pk).exists()
        return context


class FormUserMixin:
    """Passes the user to forms (their choice lists are restricted: povertyapp.forms); saves with messages."""

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        kwargs["reveal"] = self.reveals_personal_data()
        return kwargs

    def reveals_personal_data(self) -> bool:
        """`?reveal=1` from a role that may see personal data, on a form that holds some."""
        return bool(personal_fields(self.queryset.model)) and wants_reveal(self.request)

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        instance = getattr(self, "object", None)
        if instance is not None and self.reveals_personal_data():
            PersonalDataAccess.record(
                request.user, PersonalDataAccess.Channel.FORM, instance._meta.model_name, [instance.pk]
            )
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        context["may_reveal"] = getattr(form, "shows_masked_data", False) and sees_personal_data(self.request.user)
        return context

    def form_valid(self, form):
        """Saved in one transaction; then the success message and any warnings the form has (`form.warnings`)."""
        with transaction.atomic():
            response = super().form_valid(form)
        messages.success(self.request, self.success_message)
        for warning in getattr(form, "warnings", ()):
            messages.warning(self.request, warning)
        return response


class ObjectEditView(AreaScopedMixin, FormUserMixin, generic.UpdateView):
    """Edit an object inside the user's capture scope; out of scope is 404."""

    action = "change"
    success_message = _("已保存。")


class ObjectCreateView(AreaScopedMixin, FormUserMixin, generic.CreateView):
    """Create an object; the form restricts its area choices to the capture scope."""

    action = "change"
    success_message = _("已创建。")
