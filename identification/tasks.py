"""Celery tasks of identification rounds, routed to the "imports" queue by CELERY_TASK_ROUTES; each gets an id."""
import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from .models import IdentificationRound
from .services import RoundStateError, commit_round, validate_round

logger = logging.getLogger(__name__)


def _run(round_id: int, step, *args) -> None:
    round_ = IdentificationRound.objects.get(pk=round_id)
    if not round_.claim():
        return  # another worker got there first
    try:
        step(round_, *args)
    except RoundStateError as exc:
        round_.fail(str(exc))
    except Exception as exc:  # the round's row is the record: the page shows the failure, the log the trace
        logger.exception("identification round %s failed", round_id)
        round_.fail(_("处理时出错:%(error)s") % {"error": exc})


@shared_task
def validate_round_task(round_id: int) -> None:
    _run(round_id, validate_round)


@shared_task
def commit_round_task(round_id: int, user_id: int) -> None:
    _run(round_id, commit_round, get_user_model().objects.get(pk=user_id))
