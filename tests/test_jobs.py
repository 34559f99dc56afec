"""Jobs abandoned by a dead worker are marked failed, not left running forever."""
import datetime

from django.utils import timezone

from exits.models import EligibilityRun
from povertyapp.jobs import JobState
from povertyapp.tasks import fail_stale_jobs


def test_stale_jobs_are_failed_and_fresh_ones_left_alone(county):
    def run(state, hours_ago):
        job = EligibilityRun.objects.create(county=county.townships[0].county, year=2016, line=1, threshold=3, state=state)
        EligibilityRun.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(hours=hours_ago))
        return job

    abandoned, queued_long_ago, fresh, finished = (
        run(JobState.RUNNING, 3), run(JobState.PENDING, 5), run(JobState.RUNNING, 1), run(JobState.DONE, 30)
    )
    assert fail_stale_jobs.delay().get() == 2
    states = dict(EligibilityRun.objects.values_list("pk", "state"))
    assert states == {
        abandoned.pk: JobState.FAILED, queued_long_ago.pk: JobState.FAILED,
        fresh.pk: JobState.RUNNING, finished.pk: JobState.DONE,
    }
    abandoned.refresh_from_db()
    assert "任务中断" in abandoned.error and abandoned.finished_at is not None
