"""django-import-export for the admin's simple registers, scoped and validated like every other path.

A resource is built with the importing user. Every lookup it makes — the rows it may
update and every related object a row names (a township by code, a household by
number) — goes through `restrict(user, "change")`, so a township cadre cannot import
rows for another township. Each row is validated by the model's full_clean() (its
clean() and database constraints, with their messages); an import with any rejected
row is rolled back as a whole, so a rejected file changes nothing.

Bulk options: rows are saved one by one (no `use_bulk`). bulk_create/bulk_update skip
the save signals django-simple-history records the audit trail with, and rules such
as "one current first secretary per village" must see the rows saved before them in
the same file. The registers are small (hundreds to a few thousand rows); lookups of
related objects are cached per import and unchanged rows are skipped.
"""
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from import_export import resources, widgets
from import_export.admin import ImportExportMixin

from .access import can
from .exchange import exchange_format
from .roles import CHANGE


def _text(value) -> str:
    """A spreadsheet cell as text: 450481200001.0 (a code Excel stored as a number) → "450481200001"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


class ScopedForeignKeyWidget(widgets.ForeignKeyWidget):
    """A related object named by `field` (a code, a household number), found only inside the user's capture scope."""

    def __init__(self, model, field="pk", **kwargs):
        super().__init__(model, field, **kwargs)
        self.user = None  # set by ScopedModelResource
        self._found = {}

    def get_queryset(self, value, row, *args, **kwargs):
        return self.model.objects.restrict(self.user, CHANGE)

    def clean(self, value, row=None, **kwargs):
        value = _text(value)
        if not value:
            return None
        if value not in self._found:
            try:
                self._found[value] = super().clean(value, row, **kwargs)
            except (self.model.DoesNotExist, ValueError):  # ValueError: not even a valid key, such as "abc" for an id
                raise ValueError(
                    _("%(model)s“%(value)s”不存在或不在您的管辖范围内。")
                    % {"model": self.model._meta.verbose_name, "value": value}
                ) from None
        return self._found[value]


class TextWidget(widgets.CharWidget):
    """Text such as a division code, whether the cell held text or a number."""

    def clean(self, value, row=None, **kwargs):
        return _text(value)


class IntegerWidget(widgets.IntegerWidget):
    """A whole number such as a year; anything else is a clear error on its column."""

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except (ValueError, ArithmeticError):
            raise ValueError(_("“%(value)s”不是整数。") % {"value": _text(value)}) from None


class YesNoWidget(widgets.BooleanWidget):
    """是/否 (1/0 and true/false also accepted); anything else is an error, not a silent 否."""

    TRUE_VALUES = ["是", *widgets.BooleanWidget.TRUE_VALUES]
    FALSE_VALUES = ["否", *widgets.BooleanWidget.FALSE_VALUES]

    def clean(self, value, row=None, **kwargs):
        value = _text(value) if isinstance(value, (str, float)) else value
        if value in self.NULL_VALUES:
            return None
        if value in self.TRUE_VALUES:
            return True
        if value in self.FALSE_VALUES:
            return False
        raise ValueError(_("应填写“是”或“否”,而不是“%(value)s”。") % {"value": value})

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(_("是") if value else _("否"))


class ChoiceLabelWidget(widgets.Widget):
    """A code-list value written as its Chinese label (the stored code is accepted too)."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices = choices

    def clean(self, value, row=None, **kwargs):
        value = _text(value)
        if not value:
            return ""
        by_label = {str(label): code for code, label in self.choices.choices}
        if value in by_label:
            return by_label[value]
        if value in self.choices.values:
            return value
        raise ValueError(
            _("“%(value)s”不是有效的选项,可选:%(labels)s。") % {"value": value, "labels": "、".join(by_label)}
        )

    def render(self, value, obj=None, **kwargs):
        return str(dict(self.choices.choices).get(value, value or ""))


class DateWidget(widgets.DateWidget):
    """Dates as Excel dates or text in the forms people type: 2016-01-01, 2016/1/1, 2016.1.1, 2016年1月1日."""

    formats = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")  # the first is also how dates are exported

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.formats = type(self).formats

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime):
            return value.date()
        value = _text(value) if isinstance(value, str) else value
        try:
            return super().clean(value, row, **kwargs)
        except ValueError:
            raise ValueError(_("日期“%(value)s”无法识别,请写成2016-01-01。") % {"value": value}) from None


class ScopedModelResource(resources.ModelResource):
    """Base of the admin resources: the user's scope on every lookup, full_clean() per row, all or nothing."""

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        for field in self.fields.values():
            if isinstance(field.widget, ScopedForeignKeyWidget):
                field.widget.user = user

    def get_queryset(self):
        """The rows an import may update: those inside the user's capture scope."""
        return self._meta.model.objects.restrict(self.user, CHANGE)

    def get_instance(self, instance_loader, row):
        try:
            instance = super().get_instance(instance_loader, row)
        except ValueError:
            return None  # a key names a related object out of scope: import_instance reports it on its column
        if instance is None and self.get_import_id_fields() == ["id"] and _text(row.get(self.fields["id"].column_name)):
            raise ValidationError(
                {"id": _("编号为%(id)s的记录不存在或不在您的管辖范围内。") % {"id": _text(row[self.fields["id"].column_name])}}
            )
        return instance

    def import_data(self, dataset, **kwargs):
        # Rejected rows roll back the whole file, whether the caller is the admin's confirm step or code.
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, **kwargs)

    class Meta:
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True


class ScopedImportExportMixin(ImportExportMixin):
    """ImportExportMixin for a RestrictedAdmin: the resource gets the user; importing needs a capture role.

    Exports use the admin's queryset, which RestrictedAdmin already narrows with restrict(user, "view").
    """

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {**kwargs, "user": request.user}

    # Imported and exported files keep the national Chinese headers and labels in either UI language.
    def import_action(self, request, *args, **kwargs):
        with exchange_format():
            return super().import_action(request, *args, **kwargs)

    def process_import(self, request, *args, **kwargs):
        with exchange_format():
            return super().process_import(request, *args, **kwargs)

    def export_action(self, request, *args, **kwargs):
        with exchange_format():
            return super().export_action(request, *args, **kwargs)

    def has_import_permission(self, request):
        return (
            can(request.user, CHANGE, self.model)
            and self.has_add_permission(request)
            and self.has_change_permission(request)
        )
