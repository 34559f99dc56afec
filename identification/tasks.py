"""Celery tasks of identification rounds, routed to the "imports" queue by CELERY_TASK_ROUTES; each gets an id.

A task redelivered after its worker died takes the round over (povertyapp.jobs) and does the step again:
validation from a clean slate (its issue and preview rows cleared first), the commit as is, since it writes
the register in one transaction that the dead worker's connection rolled back.
"""
import logging
from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from povertyapp.jobs import JobLost, delivery, job_task

from .choices import RoundStatus
from .models import IdentificationRound
from .services import RoundStateError, commit_round, validate_round

logger = logging.getLogger(__name__)


def _run(request, round_id: int, step, *args) -> None:
    round_ = IdentificationRound.objects.get(pk=round_id)
    if not round_.claim(**delivery(request)):
        return  # another worker holds it, or it is over
    try:
        step(round_, *args)
    except JobLost:
        logger.warning("identification round %s: this attempt lost the round to another", round_id)
    except RoundStateError as exc:
        round_.fail(str(exc))
    except Exception as exc:  # the round's row is the record: the page shows the failure, the log the trace
        logger.exception("identification round %s failed", round_id)
        round_.fail(_("处理时出错:%(error)s") % {"error": exc})


def clear_validation(round_: IdentificationRound) -> None:
    """Delete the issue and preview rows an unfinished validation may have written."""
    round_.issues.all().delete()
    round_.changes.all().delete()


def _validate_afresh(round_: IdentificationRound) -> None:
    clear_validation(round_)
    validate_round(round_)


@job_task
def validate_round_task(self, round_id: int) -> None:
    _run(self.request, round_id, _validate_afresh)


@job_task
def commit_round_task(self, round_id: int, user_id: int) -> None:
    _run(self.request, round_id, commit_round, get_user_model().objects.get(pk=user_id))


# A failed round is retried by the step it failed in: its validation while uploaded, its commit once validated.
RETRYABLE = (RoundStatus.UPLOADED, RoundStatus.VALIDATED)


def retry(round_: IdentificationRound, user) -> bool:
    """Queue a failed round's step again (the commit in `user`'s name); False when the round has no failed step
    to retry: the conditional state change lets one of two clicks through."""
    if round_.status not in RETRYABLE:
        return False
    validating = round_.status == RoundStatus.UPLOADED
    with transaction.atomic():
        if not round_.requeue():
            return False
        if validating:
            clear_validation(round_)
            transaction.on_commit(partial(validate_round_task.delay, round_.pk))
        else:
            transaction.on_commit(partial(commit_round_task.delay, round_.pk, user.pk))
    return True
