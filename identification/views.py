"""Round pages: list, upload, the round itself (progress, issues, preview, commit), downloads, snapshot, comparison.

ID numbers and phones are masked on every page; the full uploaded sheet (the error report) goes only to roles
that may see personal data, and each download is logged.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from povertyapp import views as generic
from povertyapp.access import can, sees_personal_data
from povertyapp.jobs import JobState, progress_response
from povertyapp.masking import mask_id_number, mask_phone
from povertyapp.models import PersonalDataAccess

from . import report
from .choices import ChangeKind, RoundStatus, Severity
from .diff import compare, label, shown
from .forms import RoundUploadForm
from .models import IdentificationRound, RoundChange
from .rules import has_id
from .services import snapshot_states
from .tasks import RETRYABLE, commit_round_task, retry, validate_round_task

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RUNNING = (JobState.PENDING, JobState.RUNNING)
ISSUES = "issues"


def _round(request, pk, action="view") -> IdentificationRound:
    return get_object_or_404(IdentificationRound.objects.restrict(request.user, action), pk=pk)


class RoundListView(generic.ObjectListView):
    queryset = IdentificationRound.objects.select_related("township", "village", "created_by")
    template_name = "identification/round_list.html"
    paginate_by = 30


@generic.area_scoped
@login_required
def round_upload(request):
    if not can(request.user, "change", IdentificationRound):
        raise PermissionDenied
    form = RoundUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.instance.created_by = request.user
        round_ = form.save()
        validate_round_task.delay(round_.pk)
        messages.success(request, _("已上传“%(name)s”,正在逐行校验。") % {"name": round_.name})
        return redirect(round_)
    return render(request, "identification/round_upload.html", {"form": form})


class RoundDetailView(generic.ObjectDetailView):
    """State, counts and progress; one table at a time: the issues or one kind of change (?show=…)."""

    queryset = IdentificationRound.objects.select_related("township", "village", "created_by", "committed_by")
    template_name = "identification/round_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        round_ = self.object
        tabs = [(ISSUES, _("错误与警告"), round_.errors + round_.warnings)] + [
            (kind.value, kind.label, getattr(round_, field))
            for kind, field in (
                (ChangeKind.HOUSEHOLD_NEW, "new_households"), (ChangeKind.HOUSEHOLD_CHANGED, "changed_households"),
                (ChangeKind.HOUSEHOLD_ABSENT, "absent_households"), (ChangeKind.PERSON_ADDED, "persons_added"),
                (ChangeKind.PERSON_REMOVED, "persons_removed"), (ChangeKind.PERSON_MOVED, "persons_moved"),
            )
        ]
        default = ISSUES if round_.errors or not round_.preview_digest else ChangeKind.HOUSEHOLD_NEW
        show = self.request.GET.get("show", default)
        if show not in {tab for tab, _label, _count in tabs}:
            show = default
        if show == ISSUES:
            rows = round_.issues.all()
            if self.request.GET.get("severity") in Severity.values:
                rows = rows.filter(severity=self.request.GET["severity"])
        else:
            rows = round_.changes.filter(kind=show)
        page = Paginator(rows, 50).get_page(self.request.GET.get("page"))
        running = round_.state in RUNNING
        context.update(
            tabs=tabs, show=show, page_obj=page, paginator=page.paginator, is_paginated=page.has_other_pages(),
            rows=[
                (row, mask_id_number(row.id_number), _masked_lines(row.detail)) if isinstance(row, RoundChange)
                else (row, "", []) for row in page
            ],
            query_string=f"show={show}&severity={self.request.GET.get('severity', '')}", running=running, may_download_report=sees_personal_data(self.request.user),
            progress_url=reverse("identification:progress", args=[round_.pk]),
            may_commit=context["can_change"] and round_.status == RoundStatus.VALIDATED and not running
            and not round_.errors and round_.state != JobState.FAILED,
            may_retry=context["can_change"] and round_.state == JobState.FAILED and round_.status in RETRYABLE,
            committed_rounds=IdentificationRound.objects.restrict(self.request.user).filter(
                status=RoundStatus.COMMITTED
            ).exclude(pk=round_.pk)[:50],
            waiting=round_.waiting_households(self.request.user).count() if context["can_change"] else 0,
        )
        return context


def _masked_lines(detail: dict) -> list:
    """A changed household's field lines (subject, label, old, new), phone numbers masked."""
    return [
        [subject, title, *(mask_phone(value) if field == "phone" and value != "—" else value for value in (old, new))]
        for subject, field, title, old, new in detail.get("lines", [])
    ]


@generic.area_scoped
@login_required
def round_progress(request, pk):
    return progress_response(_round(request, pk))


@generic.area_scoped
@login_required
@require_POST
def round_commit(request, pk):
    round_ = _round(request, pk, "change")
    if round_.status != RoundStatus.VALIDATED or round_.errors or round_.state in RUNNING:
        messages.error(request, _("只有已校验、没有错误且不在处理中的批次才能提交。"))
        return redirect(round_)
    if round_.requeue(from_states=(JobState.DONE, JobState.FAILED)):  # one of two clicks gets through
        commit_round_task.delay(round_.pk, request.user.pk)
    messages.success(request, _("已开始提交“%(name)s”。") % {"name": round_.name})
    return redirect(round_)


@generic.area_scoped
@login_required
@require_POST
def round_retry(request, pk):
    """重试: the failed validation or commit queued again by someone who may change the round."""
    round_ = _round(request, pk, "change")
    if retry(round_, request.user):
        messages.success(request, _("已重新开始处理“%(name)s”。") % {"name": round_.name})
    else:
        messages.error(request, _("只有处理失败的批次才能重试。"))
    return redirect(round_)


@generic.area_scoped
@login_required
def error_report(request, pk):
    """The uploaded sheet with its results: full ID numbers, so only for roles that may see them, and logged."""
    round_ = _round(request, pk)
    if not round_.error_report:
        raise Http404
    if not sees_personal_data(request.user):
        raise PermissionDenied
    PersonalDataAccess.objects.create(
        user=request.user, channel=PersonalDataAccess.Channel.EXPORT, object_type="identification_round",
        object_ids=str(round_.pk), record_count=round_.rows,
    )
    return FileResponse(round_.error_report.open("rb"), as_attachment=True, content_type=XLSX,
                        filename=_("%(name)s-校验结果.xlsx") % {"name": round_.name})


@generic.public_view
@login_required
def template_download(request):
    """The blank workbook (no register data in it)."""
    response = HttpResponse(report.template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''identification-template.xlsx"
    return response


@generic.area_scoped
@login_required
def round_snapshot(request, pk):
    """The households as a committed round left them: what an auditor reads."""
    round_ = _round(request, pk)
    if round_.status != RoundStatus.COMMITTED:
        raise Http404
    snapshots = round_.snapshots.select_related("village")
    number = request.GET.get("q", "").strip()
    if number:
        snapshots = snapshots.filter(household_number__startswith=number)
    page = Paginator(snapshots, 25).get_page(request.GET.get("page"))
    return render(request, "identification/round_snapshot.html", {
        "round": round_, "page_obj": page, "paginator": page.paginator, "is_paginated": page.has_other_pages(),
        "households": [_household_view(snapshot) for snapshot in page],
        "query_string": f"q={number}" if number else "", "q": number,
    })


@generic.area_scoped
@login_required
def round_compare(request, pk):
    """A committed round against an earlier committed one, snapshot to snapshot."""
    round_, other_pk = _round(request, pk), request.GET.get("with", "")
    if not other_pk.isdigit():
        raise Http404
    other = _round(request, int(other_pk))
    if other.pk == round_.pk or RoundStatus.COMMITTED != round_.status or RoundStatus.COMMITTED != other.status:
        raise Http404
    before, after = snapshot_states(other), snapshot_states(round_)
    names = dict(round_.snapshots.values_list("village__code", "village__name"))
    names.update(other.snapshots.values_list("village__code", "village__name"))
    changes = compare(before, after, [number for number in before if number not in after], names)
    kind = request.GET.get("show", "")
    if kind:
        changes = [change for change in changes if change.kind == kind]
    page = Paginator(changes, 50).get_page(request.GET.get("page"))
    labels = dict(ChangeKind.choices)
    return render(request, "identification/round_compare.html", {
        "round": round_, "other": other, "page_obj": page, "paginator": page.paginator,
        "is_paginated": page.has_other_pages(),
        "changes": [(c, labels[c.kind], mask_id_number(c.id_number), _masked_lines(c.detail)) for c in page],
        "kinds": ChangeKind.choices, "show": kind, "query_string": f"with={other.pk}&show={kind}",
    })


def _household_view(snapshot) -> dict:
    """A snapshot row as the snapshot page prints it: labelled household fields, income and members (masked)."""
    data, names = snapshot.data, {snapshot.village.code: snapshot.village.name} if snapshot.village else {}
    fields = [
        (label(name), mask_phone(value) if name == "phone" and value else shown(name, value, names))
        for name, value in data["household"].items()
    ]
    income = [(label(name), shown(name, value)) for name, value in (data["income"] or {}).items()]
    members = [
        {**{name: shown(name, value) for name, value in values.items()},
         "id_number": mask_id_number(key) if has_id(key) else shown("id_missing_reason", values["id_missing_reason"])}
        for key, values in data["members"].items()
    ]
    return {"number": snapshot.household_number, "fields": fields, "income": income, "members": members}
