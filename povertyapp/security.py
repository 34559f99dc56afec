"""Login lockout (django-axes): the client's address behind the office's proxy, the lockout answer in Chinese,
and the page where county staff read the failures and unlock."""
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Sum
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .access import can
from .models import LoginFailure
from .views import area_scoped

LOCK_FIELDS = ("username", "ip_address")  # settings.AXES_LOCKOUT_PARAMETERS: either one locks


def client_ip(request) -> str:
    """REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address the outermost of them saw.

    Without this every request behind the reverse proxy would share its address, and one person's wrong
    passwords would lock the whole office out.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_response(request, original_response=None, credentials=None):
    message = _("登录失败次数过多,已暂停登录%(minutes)d分钟。如需立即解锁,请联系县扶贫办管理员。") % {
        "minutes": lockout_minutes()
    }
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)


def locked_now() -> list[dict]:
    """User names and addresses with AXES_FAILURE_LIMIT failures inside the cool-off period."""
    recent = AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME)
    locked = []
    for field in LOCK_FIELDS:
        rows = (
            recent.exclude(**{f"{field}__isnull": True}).values(field)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=settings.AXES_FAILURE_LIMIT).order_by("-last")
        )
        locked += [{"field": field, "value": row[field], "failures": row["failures"], "last": row["last"]}
                   for row in rows]
    return locked


@area_scoped
def lockouts(request):
    """Who is locked out now, and the latest failed logins (county staff unlock; auditors read)."""
    if not can(request.user, "view", LoginFailure):
        raise PermissionDenied
    return render(request, "security/lockouts.html", {
        "locked": locked_now(),
        "failures": LoginFailure.objects.restrict(request.user, "view").order_by("-attempt_time")[:200],
        "may_unlock": can(request.user, "change", LoginFailure),
        "limit": settings.AXES_FAILURE_LIMIT, "minutes": lockout_minutes(),
    })


@area_scoped
@require_POST
def unlock(request):
    if not can(request.user, "change", LoginFailure):
        raise PermissionDenied
    field, value = request.POST.get("field"), request.POST.get("value", "")
    if field not in LOCK_FIELDS or not value:
        messages.error(request, _("解锁对象无效。"))
        return redirect("lockouts")
    removed = reset(**({"username": value} if field == "username" else {"ip": value}))
    messages.success(request, _("已解锁%(value)s(清除%(n)d条失败记录)。") % {"value": value, "n": removed})
    return redirect("lockouts")
