"""The upload form: what a round is, whose area it covers, and a first look at the file (its first bytes and
its zip directory: what can be judged without inflating anything)."""
import datetime
import zipfile

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from households.models import IncomeRecord
from povertyapp.forms import RestrictedModelForm
from povertyapp.roles import CHANGE, Level, level_for

from .limits import Limits, WorkbookError, check_archive, check_directory, damaged
from .models import IdentificationRound
from .reader import check_signature

ACCEPTED_SUFFIX = ".xlsx"
EARLIEST_YEAR = 2013  # the income year of the first 建档立卡 identification (2014)


def max_upload_bytes() -> int:
    return settings.IDENTIFICATION_MAX_UPLOAD_MB * 1024 * 1024


class RoundUploadForm(RestrictedModelForm):
    """County staff choose the round's township (none: the whole county); others upload for their own area."""

    class Meta:
        model = IdentificationRound
        fields = ["name", "kind", "year", "township", "covered_villages", "file"]
        widgets = {"file": forms.ClearableFileInput(attrs={"accept": ACCEPTED_SUFFIX})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        # The year of the register's data, not the calendar's: income is entered for the year just past.
        self.fields["year"].initial = IncomeRecord.objects.latest_year() or datetime.date.today().year
        self.fields["file"].error_messages["empty"] = _("文件为空(0字节),请重新导出后上传。")
        self.fields["file"].help_text = " ".join((
            _("只接受Excel工作簿(.xlsx),不超过%(size)d MB;请使用下载的模板。") % {
                "size": settings.IDENTIFICATION_MAX_UPLOAD_MB},
            _("工作表不超过%(rows)s行、%(columns)s列,每个单元格不超过%(chars)s个字。") % {
                "rows": f"{settings.IDENTIFICATION_MAX_ROWS:,}", "columns": f"{settings.IDENTIFICATION_MAX_COLUMNS:,}",
                "chars": f"{settings.IDENTIFICATION_MAX_CELL_CHARS:,}"},
        ))
        profile = getattr(user, "staff_profile", None)
        if user.is_superuser or (profile and level_for(profile.role, CHANGE) == Level.COUNTY):
            self.fields["township"].empty_label = _("全县")
        else:
            del self.fields["township"]
            self.instance.township = profile.township if profile else None
            self.instance.village = profile.village if profile else None

    def clean_year(self):
        year, latest = self.cleaned_data["year"], datetime.date.today().year + 1
        if not EARLIEST_YEAR <= year <= latest:
            raise forms.ValidationError(_("年度%(year)s不合理:应在%(earliest)s年到%(latest)s年之间。") % {
                "year": year, "earliest": EARLIEST_YEAR, "latest": latest,
            })
        return year

    def clean(self):
        cleaned = super().clean()
        township = cleaned.get("township", self.instance.township)
        village = self.instance.village
        outside = [
            v.name for v in cleaned.get("covered_villages", ())
            if (township and v.township_id != township.pk) or (village and v.pk != village.pk)
        ]
        if outside:
            self.add_error("covered_villages", _("这些行政村不在本批次的范围内:%(names)s。") % {"names": "、".join(outside)})
        return cleaned

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(
                _("文件大小%(size).1f MB,超过了%(limit)d MB的上限。请按乡镇拆分后分批上传。")
                % {"size": upload.size / 1024 / 1024, "limit": settings.IDENTIFICATION_MAX_UPLOAD_MB}
            )
        if not upload.name.lower().endswith(ACCEPTED_SUFFIX):
            raise forms.ValidationError(_("只接受.xlsx格式的Excel工作簿(当前文件为“%(name)s”)。") % {"name": upload.name})
        upload.seek(0)
        try:
            check_signature(upload.read(8))
            check_directory(upload)
            upload.seek(0)
            check_archive(_archive(upload), Limits.from_settings())
        except WorkbookError as exc:
            raise forms.ValidationError(str(exc)) from None
        upload.seek(0)
        return upload

    def save(self, commit=True):
        self.instance.original_name = self.cleaned_data["file"].name[:255]
        self.instance.file_size = self.cleaned_data["file"].size
        return super().save(commit)


def _archive(upload) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(upload)
    except zipfile.BadZipFile:
        raise damaged() from None
