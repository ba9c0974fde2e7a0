"""Background jobs: one queue, embedded (huey on SQLite) or distributed (huey on Redis).

Every section queues its side effects here (DOI registration, index refreshes, archive
indexing) instead of running them inside a request. The queue is built from settings, never at
import time, so one process can hold two queues with different settings:

``sqlite``
    huey's SQLite storage in ``data_dir/jobs.db``; ``matcloud serve`` runs a worker thread in
    the server process (:meth:`JobQueue.start_worker`).
``redis``
    huey's Redis storage; any number of ``matcloud worker`` processes
    (:meth:`JobQueue.run_worker`) on any machine.
``immediate``
    jobs run synchronously inside :meth:`JobQueue.enqueue`, retries included and without
    delays; for tests that want no worker.

Sections register their job functions under a stable name in their setup
(:meth:`JobQueue.register`) and enqueue by that name with JSON-serialisable arguments. Every job
has a :class:`~matcloud.core.models.JobRun` row in the database recording its attempts, its last
error and its outcome, which is what the admin page and ``/metrics`` read; the arguments are kept
there as JSON so that an admin can re-run a failed job (:meth:`JobQueue.retry_failed`).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from huey import MemoryHuey, RedisHuey, SqliteHuey
from huey import signals as huey_signals
from huey.consumer import Consumer
from huey.exceptions import CancelExecution
from huey.utils import normalize_time
from sqlalchemy import func, select

from matcloud.core.db import Database, UnitOfWork, utcnow
from matcloud.core.errors import Conflict, FieldError, NotFound, Unavailable, ValidationFailed
from matcloud.core.models import JobRun, JobStatus
from matcloud.settings import Settings

log = logging.getLogger(__name__)

#: huey names a task ``<module>.<class name>``; giving every job this module makes the name
#: stored in the queue depend only on the registered job name, not on where its function lives.
TASK_MODULE = "matcloud.job"
#: Arguments travel through the queue and sit in the database; jobs take identifiers, not data.
MAX_ARGS_BYTES = 64 * 1024
#: How much of the JSON arguments a :class:`JobRunView` shows.
ARGS_DISPLAY_CHARS = 500
#: Longest ``last_error`` kept (message plus a short traceback tail).
MAX_ERROR_CHARS = 4000
TRACEBACK_FRAMES = 3
JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$")


@dataclass(frozen=True)
class JobRunView:
    """One job as the admin page shows it; ``args`` is the JSON arguments, cut for display."""

    id: str
    name: str
    status: JobStatus
    attempts: int
    max_attempts: int
    args: str
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, row: JobRun) -> JobRunView:
        args = row.args_repr
        if len(args) > ARGS_DISPLAY_CHARS:
            args = args[: ARGS_DISPLAY_CHARS - 1] + "…"
        return cls(
            id=row.id,
            name=row.name,
            status=JobStatus(row.status),
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            args=args,
            last_error=row.last_error,
            created_at=row.created_at,
            updated_at=row.updated_at,
            finished_at=row.finished_at,
        )


@dataclass(frozen=True)
class _Job:
    """A registered job: the function, its retry policy and huey's task wrapper for it."""

    name: str
    fn: Callable[..., None]
    retries: int
    retry_delay: float
    backoff: float
    wrapper: Any


@dataclass(frozen=True)
class _Prepared:
    """A validated enqueue request: the huey task to push and the row that records it."""

    job: _Job
    task: Any
    payload: str

    def row(self) -> JobRun:
        now = utcnow()
        return JobRun(
            id=self.task.id,
            name=self.job.name,
            status=JobStatus.QUEUED,
            attempts=0,
            max_attempts=self.job.retries + 1,
            args_repr=self.payload,
            last_error=None,
            created_at=now,
            updated_at=now,
            finished_at=None,
        )


class _EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A huey consumer that leaves process signals alone.

    The in-process worker lives inside a web server, which owns SIGINT/SIGTERM/SIGHUP; huey's
    handlers would steal them (and SIGHUP would re-exec the server).
    """

    def _set_signal_handlers(self) -> None:
        return None


class PermanentJobError(CancelExecution):  # type: ignore[misc]
    """Raised by a job whose failure retrying cannot fix (refused credentials, a payload the
    other side rejects): the job is marked failed at once, an admin may re-run it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retry=False)
        self.message = message

    def __str__(self) -> str:
        return self.message


def format_error(exc: BaseException) -> str:
    """``Type: message`` plus the last few frames: enough for an admin to see where it broke."""
    head = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    frames = traceback.extract_tb(exc.__traceback__)[-TRACEBACK_FRAMES:]
    text = head
    if frames:
        tail = "".join(traceback.format_list(frames)).rstrip()
        text = f"{head}\nTraceback (most recent call last, last {len(frames)} frames):\n{tail}"
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 1] + "…"
    return text


def _encode_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    return json.dumps(
        {"args": list(args), "kwargs": kwargs},
        allow_nan=False,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _decode_args(payload: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    data = json.loads(payload)
    if not isinstance(data, dict) or not isinstance(data.get("args"), list):
        raise ValueError("not a job argument record")
    kwargs = data.get("kwargs")
    if not isinstance(kwargs, dict):
        raise ValueError("not a job argument record")
    return tuple(data["args"]), kwargs


class JobQueue:
    """The background-job facility of one instance: registration, enqueueing, workers, records.

    Built from settings and a database; it owns its huey instance, so two queues in one process
    (two apps in a test) never share jobs, registrations or workers.
    """

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.backend = settings.job_queue
        self.huey: Any = self._build_huey(settings)
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        self._consumer: Any = None
        self.huey.pre_execute(name="matcloud_job_started")(self._on_started)
        self.huey.post_execute(name="matcloud_job_finished")(self._on_finished)
        self.huey.signal(huey_signals.SIGNAL_INTERRUPTED)(self._on_interrupted)

    @staticmethod
    def _build_huey(settings: Settings) -> Any:
        # results=False: jobs are fire-and-forget side effects; their outcome lives in JobRun,
        # and a result store nobody reads would only grow.
        name = settings.job_queue_name
        if settings.job_queue == "immediate":
            return MemoryHuey(name=name, results=False, immediate=True)
        if settings.job_queue == "redis":
            if importlib.util.find_spec("redis") is None:
                raise Unavailable(
                    "job_queue = 'redis' needs the redis client: "
                    "install matcloud with the [redis] extra (pip install 'matcloud[redis]')"
                )
            return RedisHuey(name=name, results=False, url=settings.redis_url)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(
            name=name,
            results=False,
            filename=str(settings.data_dir / "jobs.db"),
            timeout=30,
        )

    @property
    def immediate(self) -> bool:
        return bool(self.huey.immediate)

    # -- registration ---------------------------------------------------------------------------

    def register(
        self,
        name: str,
        fn: Callable[..., None],
        *,
        retries: int = 3,
        retry_delay: float = 10,
        backoff: float = 2.0,
    ) -> None:
        """Make ``fn`` runnable as job ``name``; attempt ``n`` waits ``retry_delay * backoff**n``.

        The name is what travels through the queue, so it must stay the same across releases
        for jobs queued by an older process to run; the function may move freely.
        """
        errors: list[FieldError] = []
        if not JOB_NAME.match(name):
            errors.append(FieldError("name", "1-200 letters, digits and _ . : -"))
        if retries < 0:
            errors.append(FieldError("retries", "must be 0 or more"))
        if retry_delay < 0:
            errors.append(FieldError("retry_delay", "must be 0 or more seconds"))
        if backoff < 1:
            errors.append(FieldError("backoff", "must be 1 (constant delay) or more"))
        if errors:
            raise ValidationFailed(f"cannot register job {name!r}", errors)

        def run(*args: Any, **kwargs: Any) -> None:
            fn(*args, **kwargs)

        run.__module__ = TASK_MODULE
        run.__doc__ = fn.__doc__
        with self._lock:
            if name in self._jobs:
                raise Conflict(f"a job named {name!r} is already registered")
            wrapper = self.huey.task(
                retries=retries, retry_delay=retry_delay, retry_backoff=backoff, name=name
            )(run)
            self._jobs[name] = _Job(name, fn, retries, float(retry_delay), float(backoff), wrapper)

    def registered(self) -> list[str]:
        return sorted(self._jobs)

    # -- enqueueing -----------------------------------------------------------------------------

    def enqueue(self, name: str, /, *args: Any, delay: float | None = None, **kwargs: Any) -> str:
        """Queue job ``name`` with JSON-serialisable arguments; returns the job id.

        The function receives the arguments as they come back from JSON (tuples become lists),
        the same on the first run as on an admin's re-run. Inside a unit of work use
        :meth:`enqueue_after_commit` instead: the job must not see data that may still roll back
        (and on SQLite a second write transaction in the same thread would wait for the first).
        """
        prepared = self._prepare(name, args, kwargs, delay)
        with self.db.unit_of_work() as uow:
            uow.session.add(prepared.row())
        self._push(prepared.task)
        return str(prepared.task.id)

    def enqueue_after_commit(
        self, uow: UnitOfWork, name: str, /, *args: Any, delay: float | None = None, **kwargs: Any
    ) -> str:
        """Queue job ``name`` once ``uow`` commits; nothing is queued if it rolls back.

        The arguments are checked now, so a bad call fails the caller's transaction; the job's
        record is written in that transaction, so it exists exactly when the data does.
        """
        prepared = self._prepare(name, args, kwargs, delay)
        uow.session.add(prepared.row())

        def push() -> None:
            self._push(prepared.task)

        uow.after_commit(push)
        return str(prepared.task.id)

    def _prepare(
        self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], delay: float | None
    ) -> _Prepared:
        job = self._jobs.get(name)
        if job is None:
            raise ValidationFailed(
                f"no job named {name!r} is registered",
                [FieldError("name", f"unknown job; known: {', '.join(self.registered())}")],
            )
        try:
            payload = _encode_args(args, kwargs)
        except (TypeError, ValueError) as exc:
            raise ValidationFailed(
                f"arguments of job {name!r} must be JSON-serialisable: {exc}",
                [FieldError("args", str(exc))],
            ) from exc
        if len(payload.encode()) > MAX_ARGS_BYTES:
            raise ValidationFailed(
                f"arguments of job {name!r} are {len(payload.encode())} bytes, over "
                f"{MAX_ARGS_BYTES}: pass identifiers, not data",
                [FieldError("args", "too large")],
            )
        if delay is not None and delay < 0:
            raise ValidationFailed("delay must be 0 or more seconds", [FieldError("delay", "< 0")])
        return _Prepared(job, self._task(job, payload, str(uuid.uuid4()), delay), payload)

    def _task(self, job: _Job, payload: str, job_id: str, delay: float | None) -> Any:
        args, kwargs = _decode_args(payload)
        eta = None
        if delay and not self.immediate:
            eta = normalize_time(delay=delay, utc=self.huey.utc)
        # In immediate mode a delayed retry would wait for a scheduler that never runs, so
        # retries there follow at once, inside the enqueue call.
        retry_delay = 0 if self.immediate else None
        return job.wrapper.task_class(args, kwargs, id=job_id, eta=eta, retry_delay=retry_delay)

    def _push(self, task: Any) -> None:
        """Hand the task to huey; if the storage refuses, the record says so and we raise."""
        try:
            self.huey.enqueue(task)
        except Exception as exc:
            log.exception("could not queue job %s (%s)", task.name, task.id)
            message = f"could not be queued: {format_error(exc)}"

            def mark(row: JobRun) -> None:
                row.status = JobStatus.FAILED
                row.last_error = message
                row.finished_at = utcnow()

            self._record(task, mark)
            raise Unavailable(f"job queue ({self.backend}) is not answering: {exc}") from exc

    # -- bookkeeping (called by huey in the worker) ---------------------------------------------

    def _record(self, task: Any, change: Callable[[JobRun], None]) -> None:
        """Apply ``change`` to the job's row, creating the row if this database has none.

        A job queued by an older process, or whose row was pruned, still gets a record. A
        failure here is logged, never raised: bookkeeping must not fail the job itself.
        """
        try:
            with self.db.unit_of_work() as uow:
                row = uow.session.get(JobRun, task.id, with_for_update=True)
                if row is None:
                    row = self._row_for(task)
                    uow.session.add(row)
                change(row)
                row.updated_at = utcnow()
        except Exception:
            log.exception("could not record the state of job %s (%s)", task.name, task.id)

    def _row_for(self, task: Any) -> JobRun:
        job = self._jobs.get(task.name)
        try:
            payload = _encode_args(tuple(task.args), dict(task.kwargs))
        except (TypeError, ValueError):
            payload = repr((task.args, task.kwargs))
        now = utcnow()
        return JobRun(
            id=task.id,
            name=task.name,
            status=JobStatus.QUEUED,
            attempts=0,
            max_attempts=(job.retries if job else int(task.retries or 0)) + 1,
            args_repr=payload,
            last_error=None,
            created_at=now,
            updated_at=now,
            finished_at=None,
        )

    def _on_started(self, task: Any) -> None:
        def start(row: JobRun) -> None:
            row.status = JobStatus.RUNNING
            row.attempts = (row.attempts or 0) + 1
            row.finished_at = None

        self._record(task, start)

    def _on_finished(self, task: Any, value: Any, exception: BaseException | None) -> None:
        # huey calls this after deciding the outcome but before re-queueing: task.retries is
        # still the number of retries left, so zero means this failure was the last attempt.
        if exception is None:

            def done(row: JobRun) -> None:
                row.status = JobStatus.DONE
                row.finished_at = utcnow()

            self._record(task, done)
            return
        error = format_error(exception)
        final = not task.retries

        def failed(row: JobRun) -> None:
            row.last_error = error
            if final:
                row.status = JobStatus.FAILED
                row.finished_at = utcnow()
            else:
                row.status = JobStatus.RETRYING

        self._record(task, failed)

    def _on_interrupted(self, signal: str, task: Any, *args: Any, **kwargs: Any) -> None:
        """A worker stopped mid-job: record it as failed, so an admin can re-run it."""

        def interrupted(row: JobRun) -> None:
            row.status = JobStatus.FAILED
            row.last_error = "interrupted: the worker stopped while the job was running"
            row.finished_at = utcnow()

        self._record(task, interrupted)

    # -- admin and monitoring -------------------------------------------------------------------

    def get(self, job_id: str) -> JobRunView:
        with self.db.read() as session:
            row = session.get(JobRun, job_id)
            if row is None:
                raise NotFound(f"no job {job_id!r}")
            return JobRunView.of(row)

    def failures(self, limit: int = 50) -> list[JobRunView]:
        """Failed jobs, most recently failed first."""
        if limit < 1:
            raise ValidationFailed("limit must be 1 or more", [FieldError("limit", "< 1")])
        query = (
            select(JobRun)
            .where(JobRun.status == JobStatus.FAILED)
            .order_by(JobRun.updated_at.desc(), JobRun.created_at.desc(), JobRun.id)
            .limit(limit)
        )
        with self.db.read() as session:
            return [JobRunView.of(row) for row in session.scalars(query)]

    def counts(self) -> dict[str, int]:
        """Jobs per status, every status present (zeros included) so gauges never vanish."""
        counts = {status.value: 0 for status in JobStatus}
        query = select(JobRun.status, func.count()).group_by(JobRun.status)
        with self.db.read() as session:
            for status, count in session.execute(query):
                counts[JobStatus(status).value] = int(count)
        return counts

    def retry_failed(self, job_id: str) -> str:
        """Run a failed job again, same id and arguments, with a fresh set of attempts.

        The row keeps its last error until the new attempts overwrite it.
        """
        with self.db.unit_of_work() as uow:
            row = uow.session.get(JobRun, job_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no job {job_id!r}")
            if row.status != JobStatus.FAILED:
                raise Conflict(f"job {job_id} is {JobStatus(row.status).value}, not failed")
            job = self._jobs.get(row.name)
            if job is None:
                raise Conflict(f"job {job_id} is a {row.name!r} job, which is not registered")
            try:
                _decode_args(row.args_repr)
            except ValueError as exc:
                raise Conflict(f"the arguments of job {job_id} cannot be recovered") from exc
            task = self._task(job, row.args_repr, row.id, None)
            row.status = JobStatus.QUEUED
            row.attempts = 0
            row.max_attempts = job.retries + 1
            row.finished_at = None
            row.updated_at = utcnow()
        self._push(task)
        return job_id

    def pending_count(self) -> int:
        """Jobs waiting in the queue (not those scheduled for a later retry or running)."""
        return int(self.huey.pending_count())

    def scheduled_count(self) -> int:
        """Jobs waiting for a delayed start or a retry."""
        return int(self.huey.scheduled_count())

    def check(self) -> None:
        """Health check: the storage answers and, if started, the in-process worker is alive."""
        try:
            self.huey.pending_count()
        except Exception as exc:
            raise Unavailable(f"job queue ({self.backend}) is not answering: {exc}") from exc
        consumer = self._consumer
        if consumer is not None:
            threads = [t for _, t in consumer.worker_threads] + [consumer.scheduler]
            if not all(thread.is_alive() for thread in threads):
                raise Unavailable("the in-process job worker has stopped")

    # -- workers --------------------------------------------------------------------------------

    def _consumer_options(self, threads: int | None) -> dict[str, Any]:
        workers = self.settings.worker_threads if threads is None else threads
        if workers < 1:
            raise ValidationFailed("a worker needs 1 thread or more", [FieldError("threads", "")])
        # max_delay bounds how long an idle worker takes to notice a new job on SQLite, which
        # is polled (Redis blocks instead); there are no periodic tasks to schedule.
        return {
            "workers": workers,
            "worker_type": "thread",
            "periodic": False,
            "initial_delay": 0.1,
            "backoff": 1.15,
            "max_delay": 1.0,
            "scheduler_interval": 1,
        }

    def start_worker(self, threads: int | None = None) -> None:
        """Run jobs in threads of this process (``matcloud serve``); idempotent.

        Process signals stay with the host server. In immediate mode there is nothing to do.
        """
        if self.immediate:
            return
        with self._lock:
            if self._consumer is not None:
                return
            consumer = _EmbeddedConsumer(self.huey, **self._consumer_options(threads))
            consumer.start()
            self._consumer = consumer

    def stop_worker(self, timeout: float = 30.0) -> None:
        """Stop the in-process worker, letting running jobs finish for up to ``timeout`` s.

        Jobs still running after that are left to finish in their (daemon) threads.
        """
        with self._lock:
            consumer, self._consumer = self._consumer, None
        if consumer is None:
            return
        consumer.shutdown_timeout = timeout
        consumer.stop(graceful=True)
        running = [t.name for _, t in consumer.worker_threads if t.is_alive()]
        if running:
            log.warning("job worker threads still running after %ss: %s", timeout, running)

    def run_worker(self, threads: int | None = None) -> None:
        """Run a worker in the foreground until signalled (``matcloud worker``).

        huey's signal handling: SIGINT stops gracefully (a second one at once), SIGTERM stops
        at once (running jobs are recorded as failed, interrupted), SIGHUP restarts.
        """
        if self.immediate:
            raise Conflict("job_queue = 'immediate' runs jobs at enqueue; a worker has no work")
        self.huey.create_consumer(**self._consumer_options(threads)).run()

    def close(self) -> None:
        """Stop the worker and release the storage connection."""
        self.stop_worker()
        self.huey.storage.close()
        pool = getattr(self.huey.storage, "pool", None)
        if pool is not None:
            pool.disconnect()


__all__ = ["JobQueue", "JobRunView", "PermanentJobError", "format_error"]
