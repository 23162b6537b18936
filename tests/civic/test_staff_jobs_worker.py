"""A register import job through a real Celery worker: the job's row, read from another process
while the worker's import transaction is still open, shows the rows read batch by batch (written
on the job's side connection), and the job ends done with the whole file applied."""

from __future__ import annotations

import time

import pytest

from civic.models import JobState, RegisterEntry, StaffJob
from civic.services import register
from civic.services.register_jobs import register_import_job_request
from tests.factories import DistrictFactory, StaffFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROWS = 20_000
HEADER = "ref,kind,last_name,first_names,birth_date,address,postcode,district,roll_number\n"


@pytest.mark.long
def test_the_progress_of_a_running_import_is_seen_from_outside_batch_by_batch(real_worker):
    DistrictFactory(code="centre", name="Centre")
    text = HEADER + "".join(
        f"W{i},elector,Nom{i},Prénom,1980-01-01,{i} rue A,86000,centre,RW{i}\n" for i in range(ROWS)
    )
    real_worker.start(concurrency=1)
    job = register_import_job_request(
        data=text.encode(),
        filename="big.csv",
        actor=StaffFactory(role="administrator"),
        strict=False,
        confirm_strike_offs=False,
    )
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        row = StaffJob.objects.values_list("state", "done").get(pk=job.pk)
        if not seen or seen[-1] != row:
            seen.append(row)
        if row[0] in (JobState.DONE, JobState.FAILED):
            break
        time.sleep(0.01)
    assert seen[-1] == (JobState.DONE, ROWS), seen
    assert RegisterEntry.objects.count() == ROWS
    done = [d for _state, d in seen]
    assert done == sorted(done)  # the bar never goes back
    assert all(d % register.BATCH == 0 for d in done), seen  # it moves batch by batch
    # Seen while the import's transaction was open (nothing of it committed yet).
    assert any(state == JobState.RUNNING and 0 < d < ROWS for state, d in seen), seen
