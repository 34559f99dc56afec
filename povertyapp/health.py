"""/healthz: a public probe for IT staff and compose healthchecks; it reports states, never data.

GET /healthz answers {"database": "ok", "broker": "ok" | "eager"} within a few seconds,
with 503 and "error" for a failed probe. GET /healthz?worker=1 also sends the healthcheck
task through the broker and waits for a worker to answer.
"""
import logging

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app
from .tasks import healthcheck
from .views import public_view

logger = logging.getLogger(__name__)

TIMEOUT = 3  # seconds per probe: a health check must answer quickly


def probe_database() -> str:
    healthcheck()
    return "ok"


def probe_broker() -> str:
    if app.conf.task_always_eager:
        return "eager"
    with app.connection_for_write(connect_timeout=TIMEOUT) as connection:
        connection.ensure_connection(max_retries=0, timeout=TIMEOUT)
    return "ok"


def probe_worker() -> str:
    if app.conf.task_always_eager:
        return "eager"
    healthcheck.apply_async(expires=TIMEOUT, retry=False).get(timeout=TIMEOUT)
    return "ok"


@public_view
@never_cache
@require_GET
def healthz(request):
    probes = {"database": probe_database, "broker": probe_broker}
    if request.GET.get("worker"):
        probes["worker"] = probe_worker
    states = {}
    for name, probe in probes.items():
        if name == "worker" and states["broker"] == "error":
            states[name] = "error"  # nothing can reach a worker without the broker
            continue
        try:
            states[name] = probe()
        except Exception:
            logger.exception("healthz: the %s probe failed", name)
            states[name] = "error"
    healthy = "error" not in states.values()
    return JsonResponse(states, status=200 if healthy else 503)
