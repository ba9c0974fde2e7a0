"""The job queue: registration, enqueueing, the in-process and standalone workers, the records.

Waits poll the job's record against a deadline; nothing asserts how long a job took. The
scheduler that starts delayed retries wakes once a second, so a retried job takes about a
second per retry.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from matcloud.core.db import Database
from matcloud.core.errors import Conflict, NotFound, Unavailable, ValidationFailed
from matcloud.core.jobs import JobQueue, JobRunView, PermanentJobError
from matcloud.core.models import JobRun, JobStatus
from matcloud.settings import Settings

DEADLINE = 15.0
FINISHED = {JobStatus.DONE, JobStatus.FAILED}


class JobError(Exception):
    """What the test jobs raise."""


def wait_for(condition: Callable[[], bool], timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(0.05)


def wait_finished(queue: JobQueue, job_id: str, timeout: float = DEADLINE) -> JobRunView:
    views: list[JobRunView] = []

    def finished() -> bool:
        views.append(queue.get(job_id))
        return views[-1].status in FINISHED

    wait_for(finished, timeout)
    return views[-1]


def job_rows(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(JobRun)) or 0)


def huey_now() -> datetime:
    """huey's clock: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture
def make_queue(settings: Settings, db: Database) -> Iterator[Callable[..., JobQueue]]:
    """Builds queues on variants of the test settings and closes them all afterwards."""
    queues: list[JobQueue] = []

    def make(**update: Any) -> JobQueue:
        queue = JobQueue(settings.model_copy(update=update), db)
        queues.append(queue)
        return queue

    yield make
    for queue in queues:
        queue.close()


@pytest.fixture
def queue(make_queue: Callable[..., JobQueue]) -> JobQueue:
    """The embedded queue (SQLite storage in the data dir), no worker started."""
    return make_queue()


class Flaky:
    """A job that fails its first ``failures`` calls, recording each call."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        self.times: list[float] = []

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append((args, kwargs))
        self.times.append(time.monotonic())
        if len(self.calls) <= self.failures:
            raise JobError(f"attempt {len(self.calls)} failed")


def test_job_runs_in_the_in_process_worker(queue: JobQueue) -> None:
    job = Flaky(0)
    queue.register("test.record", job)
    queue.start_worker(threads=2)
    job_id = queue.enqueue("test.record", 1, {"a": [2, 3]}, key="x")

    view = wait_finished(queue, job_id)

    assert view.status is JobStatus.DONE
    assert view.name == "test.record"
    assert view.attempts == 1
    assert view.max_attempts == 4
    assert view.last_error is None
    assert view.finished_at is not None and view.finished_at >= view.created_at
    assert json.loads(view.args) == {"args": [1, {"a": [2, 3]}], "kwargs": {"key": "x"}}
    assert job.calls == [((1, {"a": [2, 3]}), {"key": "x"})]
    assert queue.counts()["done"] == 1
    queue.check()


def test_enqueue_records_a_queued_job(queue: JobQueue) -> None:
    queue.register("test.record", Flaky(0), retries=5)
    job_id = queue.enqueue("test.record", (1, 2), delay=60)

    view = queue.get(job_id)
    assert view.status is JobStatus.QUEUED
    assert view.attempts == 0
    assert view.max_attempts == 6
    assert json.loads(view.args) == {"args": [[1, 2]], "kwargs": {}}
    assert queue.counts() == {"queued": 1, "running": 0, "retrying": 0, "failed": 0, "done": 0}
    assert queue.pending_count() == 1
    queue.start_worker()  # a worker moves the delayed job to the schedule, and leaves it there
    wait_for(lambda: queue.scheduled_count() == 1 and queue.pending_count() == 0)
    assert queue.get(job_id).status is JobStatus.QUEUED


def test_args_are_shown_cut_but_kept_whole(queue: JobQueue, db: Database) -> None:
    queue.register("test.record", Flaky(0))
    job_id = queue.enqueue("test.record", "x" * 2000)

    assert len(queue.get(job_id).args) == 500
    with db.read() as session:
        row = session.get(JobRun, job_id)
        assert row is not None
        assert json.loads(row.args_repr) == {"args": ["x" * 2000], "kwargs": {}}


def test_a_job_that_fails_twice_then_succeeds_ends_done(queue: JobQueue) -> None:
    job = Flaky(2)
    queue.register("test.flaky", job, retries=3, retry_delay=0.05, backoff=2)
    queue.start_worker()
    job_id = queue.enqueue("test.flaky", "doi:10.99999/x")

    view = wait_finished(queue, job_id)

    assert view.status is JobStatus.DONE
    assert view.attempts == 3
    assert len(job.calls) == 3
    assert all(call == (("doi:10.99999/x",), {}) for call in job.calls)
    assert view.last_error is not None and "attempt 2 failed" in view.last_error
    assert queue.failures() == []


def test_a_job_that_always_fails_ends_failed_and_is_listed(queue: JobQueue) -> None:
    job = Flaky(100)
    queue.register("test.broken", job, retries=1, retry_delay=0.05)
    queue.start_worker()
    ok = Flaky(0)
    queue.register("test.ok", ok)
    ok_id = queue.enqueue("test.ok")
    job_id = queue.enqueue("test.broken", 7)

    view = wait_finished(queue, job_id)

    assert view.status is JobStatus.FAILED
    assert view.attempts == 2
    assert view.max_attempts == 2
    assert view.finished_at is not None
    assert view.last_error is not None
    assert "JobError: attempt 2 failed" in view.last_error
    assert "in __call__" in view.last_error  # the traceback tail says where
    assert wait_finished(queue, ok_id).status is JobStatus.DONE
    assert [f.id for f in queue.failures()] == [job_id]
    counts = queue.counts()
    assert counts["failed"] == 1 and counts["done"] == 1


def test_failures_are_newest_first_and_limited(queue: JobQueue) -> None:
    queue.register("test.broken", Flaky(100), retries=0)
    queue.start_worker(threads=1)  # one thread: the jobs fail in the order they were queued
    ids = [queue.enqueue("test.broken", n) for n in range(3)]
    for job_id in ids:
        wait_finished(queue, job_id)
    assert [f.id for f in queue.failures()] == ids[::-1]
    assert [f.id for f in queue.failures(limit=2)] == ids[:0:-1]
    with pytest.raises(ValidationFailed):
        queue.failures(limit=0)


def test_retry_delays_grow_exponentially(queue: JobQueue) -> None:
    """Drive huey by hand (no worker) and read each retry's scheduled time: no sleeping."""
    queue.register("test.broken", Flaky(100), retries=2, retry_delay=1, backoff=2)
    job_id = queue.enqueue("test.broken")
    task = queue.huey.dequeue()
    assert task.id == job_id

    delays = []
    for _ in range(2):
        started = huey_now()
        queue.huey.execute(task, timestamp=task.eta or started)  # as if its time had come
        assert queue.get(job_id).status is JobStatus.RETRYING
        [task] = queue.huey.read_schedule(huey_now() + timedelta(days=1))
        delays.append((task.eta - started).total_seconds())
    queue.huey.execute(task, timestamp=task.eta)

    assert 1 <= delays[0] < 1.5
    assert 2 <= delays[1] < 2.5
    view = queue.get(job_id)
    assert view.status is JobStatus.FAILED
    assert view.attempts == 3


def test_enqueue_after_commit_waits_for_the_commit(queue: JobQueue, db: Database) -> None:
    queue.register("test.record", Flaky(0))

    with pytest.raises(RuntimeError), db.unit_of_work() as uow:
        queue.enqueue_after_commit(uow, "test.record", 1)
        raise RuntimeError("rolled back")
    assert queue.pending_count() == 0
    assert job_rows(db) == 0

    with db.unit_of_work() as uow:
        job_id = queue.enqueue_after_commit(uow, "test.record", 2)
        assert queue.pending_count() == 0  # not before the commit
    assert queue.pending_count() == 1
    assert queue.get(job_id).status is JobStatus.QUEUED


def test_enqueue_after_commit_rejects_bad_calls_in_the_transaction(
    queue: JobQueue, db: Database
) -> None:
    queue.register("test.record", Flaky(0))
    with pytest.raises(ValidationFailed), db.unit_of_work() as uow:
        queue.enqueue_after_commit(uow, "test.record", {1, 2})
    with pytest.raises(ValidationFailed), db.unit_of_work() as uow:
        queue.enqueue_after_commit(uow, "test.nope")
    assert job_rows(db) == 0
    assert queue.pending_count() == 0


def test_unknown_job_and_unserialisable_args_are_rejected(queue: JobQueue, db: Database) -> None:
    queue.register("test.record", Flaky(0))
    with pytest.raises(ValidationFailed, match="no job named 'test.nope'"):
        queue.enqueue("test.nope")
    bad_calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((object(),), {}),
        ((), {"when": datetime.now(UTC)}),
        ((float("nan"),), {}),
        ((b"bytes",), {}),
        (({(1, 2): "tuple key"},), {}),
        (("x" * 70_000,), {}),
    ]
    for bad_args, bad_kwargs in bad_calls:
        with pytest.raises(ValidationFailed) as caught:
            queue.enqueue("test.record", *bad_args, **bad_kwargs)
        assert caught.value.errors[0].field == "args"
    with pytest.raises(ValidationFailed):
        queue.enqueue("test.record", delay=-1)
    assert job_rows(db) == 0
    assert queue.pending_count() == 0


def test_registration_is_checked(queue: JobQueue) -> None:
    queue.register("archive.register_doi", Flaky(0))
    with pytest.raises(Conflict):
        queue.register("archive.register_doi", Flaky(0))
    for name in ["", "has space", "x" * 201]:
        with pytest.raises(ValidationFailed):
            queue.register(name, Flaky(0))
    with pytest.raises(ValidationFailed):
        queue.register("test.bad", Flaky(0), retries=-1)
    with pytest.raises(ValidationFailed):
        queue.register("test.bad", Flaky(0), backoff=0.5)
    assert queue.registered() == ["archive.register_doi"]


def test_retry_failed_runs_a_failed_job_again(queue: JobQueue) -> None:
    job = Flaky(1)
    queue.register("test.once_broken", job, retries=0)
    queue.start_worker()
    job_id = queue.enqueue("test.once_broken", "rec-1", force=True)
    assert wait_finished(queue, job_id).status is JobStatus.FAILED

    assert queue.retry_failed(job_id) == job_id
    view = wait_finished(queue, job_id)

    assert view.status is JobStatus.DONE
    assert view.attempts == 1
    assert job.calls == [(("rec-1",), {"force": True})] * 2
    assert queue.failures() == []
    with pytest.raises(Conflict, match="not failed"):
        queue.retry_failed(job_id)
    with pytest.raises(NotFound):
        queue.retry_failed("no-such-job")


def test_retry_failed_needs_a_registered_job_and_json_args(
    make_queue: Callable[..., JobQueue], db: Database
) -> None:
    old = make_queue(job_queue="immediate")
    old.register("test.gone", Flaky(100), retries=0)
    gone_id = old.enqueue("test.gone")
    new = make_queue(job_queue="immediate")
    with pytest.raises(Conflict, match="not registered"):
        new.retry_failed(gone_id)

    new.register("test.gone", Flaky(0))
    with db.unit_of_work() as uow:
        row = uow.session.get(JobRun, gone_id)
        assert row is not None
        row.args_repr = "(<object at 0x1>,)"
    with pytest.raises(Conflict, match="cannot be recovered"):
        new.retry_failed(gone_id)


def test_a_job_without_a_record_gets_one(queue: JobQueue, db: Database) -> None:
    """A job queued by an older process (or whose row was pruned) is still recorded."""
    job = Flaky(0)
    queue.register("test.record", job)
    job_id = queue.enqueue("test.record", 5)
    with db.unit_of_work() as uow:
        uow.session.execute(delete(JobRun))
    queue.start_worker()

    wait_for(lambda: job_rows(db) == 1 and queue.get(job_id).status is JobStatus.DONE)
    view = queue.get(job_id)
    assert view.name == "test.record"
    assert view.attempts == 1
    assert view.max_attempts == 4
    assert json.loads(view.args) == {"args": [5], "kwargs": {}}


def test_two_queues_in_one_process_do_not_interfere(
    make_queue: Callable[..., JobQueue], tmp_path: Path
) -> None:
    first = make_queue(data_dir=tmp_path / "one")
    second = make_queue(data_dir=tmp_path / "two")
    job_one, job_two = Flaky(0), Flaky(0)
    first.register("test.record", job_one)
    second.register("test.record", job_two, retries=0)
    assert (tmp_path / "one" / "jobs.db").exists() and (tmp_path / "two" / "jobs.db").exists()

    pending_id = second.enqueue("test.record", "for the second")
    first.start_worker()
    done_id = first.enqueue("test.record", "for the first")
    wait_finished(first, done_id)

    assert job_one.calls == [(("for the first",), {})]
    assert job_two.calls == []
    assert second.pending_count() == 1
    assert second.get(pending_id).status is JobStatus.QUEUED

    second.start_worker()
    assert wait_finished(second, pending_id).status is JobStatus.DONE
    assert job_two.calls == [(("for the second",), {})]
    assert len(job_one.calls) == 1


def test_stop_worker_lets_the_running_job_finish(queue: JobQueue) -> None:
    started, release = threading.Event(), threading.Event()
    finished: list[str] = []

    def slow(tag: str) -> None:
        started.set()
        release.wait(5)
        finished.append(tag)

    queue.register("test.slow", slow)
    queue.start_worker(threads=1)
    queue.start_worker(threads=1)  # idempotent
    job_id = queue.enqueue("test.slow", "a")
    assert started.wait(DEADLINE)
    threading.Timer(0.2, release.set).start()
    queue.stop_worker(timeout=10)

    assert finished == ["a"]
    assert queue.get(job_id).status is JobStatus.DONE
    queue.stop_worker()  # stopping twice is harmless


def test_immediate_mode_runs_jobs_at_enqueue(make_queue: Callable[..., JobQueue]) -> None:
    queue = make_queue(job_queue="immediate")
    job = Flaky(0)
    queue.register("test.record", job)
    queue.start_worker()  # nothing to start

    job_id = queue.enqueue("test.record", 1, delay=3600)

    assert job.calls == [((1,), {})]
    assert queue.get(job_id).status is JobStatus.DONE
    assert queue.pending_count() == 0
    queue.check()
    with pytest.raises(Conflict):
        queue.run_worker()


def test_immediate_mode_retries_at_once(make_queue: Callable[..., JobQueue]) -> None:
    queue = make_queue(job_queue="immediate")
    flaky, broken = Flaky(2), Flaky(100)
    queue.register("test.flaky", flaky, retries=2, retry_delay=600)
    queue.register("test.broken", broken, retries=1, retry_delay=600)

    flaky_view = queue.get(queue.enqueue("test.flaky"))
    broken_view = queue.get(queue.enqueue("test.broken"))

    assert (flaky_view.status, flaky_view.attempts) == (JobStatus.DONE, 3)
    assert (broken_view.status, broken_view.attempts) == (JobStatus.FAILED, 2)
    assert broken_view.last_error is not None and "attempt 2 failed" in broken_view.last_error


def test_a_permanent_error_fails_the_job_at_once(make_queue: Callable[..., JobQueue]) -> None:
    calls: list[int] = []

    def refuse() -> None:
        calls.append(1)
        raise PermanentJobError("the registry refused the credentials")

    for mode in ("immediate", "sqlite"):
        calls.clear()
        queue = make_queue(job_queue=mode)
        queue.register("test.refused", refuse, retries=5, retry_delay=0)
        queue.start_worker()
        view = wait_finished(queue, queue.enqueue("test.refused"))
        queue.stop_worker()
        assert (view.status, view.attempts, len(calls)) == (JobStatus.FAILED, 1, 1), mode
        assert view.last_error is not None
        assert "the registry refused the credentials" in view.last_error


def test_check_reports_an_unreachable_queue(make_queue: Callable[..., JobQueue]) -> None:
    queue = make_queue(job_queue="redis", redis_url="redis://127.0.0.1:1/0")
    with pytest.raises(Unavailable, match="not answering"):
        queue.check()
    queue.register("test.record", Flaky(0))
    with pytest.raises(Unavailable):
        queue.enqueue("test.record")


def test_a_job_that_cannot_be_queued_is_recorded_failed(
    make_queue: Callable[..., JobQueue], db: Database
) -> None:
    queue = make_queue(job_queue="redis", redis_url="redis://127.0.0.1:1/0")
    queue.register("test.record", Flaky(0))
    with db.unit_of_work() as uow:  # the after-commit failure is logged, the data stays
        job_id = queue.enqueue_after_commit(uow, "test.record", 1)
    view = queue.get(job_id)
    assert view.status is JobStatus.FAILED
    assert view.last_error is not None and "could not be queued" in view.last_error


WORKER_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    from matcloud.core.db import Database
    from matcloud.core.jobs import JobQueue
    from matcloud.settings import Settings

    data_dir, database_url, out = sys.argv[1:]
    settings = Settings(data_dir=data_dir, database_url=database_url, secret_key="x")
    db = Database(settings.resolved_database_url)
    queue = JobQueue(settings, db)

    def touch(text: str) -> None:
        Path(out).write_text(text)

    queue.register("test.touch", touch)
    print("ready", flush=True)
    queue.run_worker(threads=1)
    queue.close()
    db.dispose()
    """
)


def test_a_separate_worker_process_runs_jobs_and_stops_on_sigint(
    queue: JobQueue, settings: Settings, tmp_path: Path
) -> None:
    """What ``matcloud worker`` does: a foreground worker sharing the instance's queue."""
    queue.register("test.touch", Flaky(0))
    out = tmp_path / "touched"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            WORKER_SCRIPT,
            str(settings.data_dir),
            settings.resolved_database_url,
            str(out),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
        job_id = queue.enqueue("test.touch", "hello")
        assert wait_finished(queue, job_id).status is JobStatus.DONE
        assert out.read_text() == "hello"
        worker.send_signal(signal.SIGINT)
        _, stderr = worker.communicate(timeout=DEADLINE)
        assert worker.returncode == 0, stderr
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()


@pytest.fixture
def redis_queue(make_queue: Callable[..., JobQueue]) -> Iterator[JobQueue]:
    queue = make_queue(
        job_queue="redis",
        redis_url="redis://127.0.0.1:6379/15",
        job_queue_name=f"matcloud_test_{uuid.uuid4().hex[:12]}",
    )
    try:
        yield queue
    finally:
        queue.stop_worker()
        queue.huey.flush()


@pytest.mark.requires_services
def test_redis_queue_runs_jobs_in_the_worker(redis_queue: JobQueue) -> None:
    redis_queue.check()
    flaky = Flaky(1)
    redis_queue.register("test.flaky", flaky, retries=2, retry_delay=0.05)
    redis_queue.start_worker()
    job_id = redis_queue.enqueue("test.flaky", {"record": "abc"})

    view = wait_finished(redis_queue, job_id)

    assert view.status is JobStatus.DONE
    assert view.attempts == 2
    assert flaky.calls == [(({"record": "abc"},), {})] * 2
    assert redis_queue.pending_count() == 0
    redis_queue.check()
