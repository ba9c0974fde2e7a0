"""Running WORK tools: read the input, run the tool, keep the input for a shareable URL.

:meth:`WorkService.submit` checks the input and options, runs the tool (in-process: every tool
here answers well within a second for the sizes the inputs are limited to) and stores the
input under the hash of (tool, format, options, bytes), so ``/work/<tool>/results/<id>``
shows the same result to whoever has the link until it expires. :meth:`result` recomputes a
stored input's result (an LRU keeps recent ones; the row is read each time, for its
expiry). Expired inputs are deleted by
:meth:`purge` (called on submission, at most hourly).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update

from matcloud.core.db import Database, utcnow
from matcloud.core.errors import NotFound
from matcloud.settings import Settings
from matcloud.structures import Structure
from matcloud.work.inputs import ToolInput, read_input
from matcloud.work.models import WorkInput
from matcloud.work.sources import Sources
from matcloud.work.tools import TOOLS
from matcloud.work.tools.base import Tool, ToolError
from matcloud.work.tools.phonons_tool import mode_document

RESULT_CACHE = 64
PURGE_EVERY = 3600.0


@dataclass(frozen=True)
class Outcome:
    tool: Tool
    id: str
    filename: str
    fmt: str | None
    options: dict[str, Any]
    result: dict[str, Any]
    seconds: float
    #: What the tool's reader made of the input (a Structure, or e.g. phonon bands).
    subject: Any
    companion_name: str = ""

    @property
    def structure(self) -> Structure:
        found = self.subject if isinstance(self.subject, Structure) else None
        found = found or getattr(self.subject, "structure", None)
        if not isinstance(found, Structure):
            raise ToolError("This result holds no structure.", 404)
        return found


def input_id(
    tool: str, fmt: str | None, options: Mapping[str, Any], data: bytes, companion: bytes = b""
) -> str:
    digest = hashlib.sha256()
    header = json.dumps([tool, fmt or "", dict(sorted(options.items()))], separators=(",", ":"))
    digest.update(header.encode())
    digest.update(b"\0")
    digest.update(data)
    if companion:  # inputs of one file keep the ids they always had
        digest.update(b"\0companion\0")
        digest.update(companion)
    return digest.hexdigest()[:32]


class WorkService:
    def __init__(self, settings: Settings, db: Database, sources: Sources | None = None) -> None:
        self.settings = settings
        self.db = db
        #: Where structures handed over from other sections are read (none in unit tests).
        self.sources = sources
        self._lock = threading.Lock()
        self._results: OrderedDict[str, Outcome] = OrderedDict()
        self._purged = 0.0

    @staticmethod
    def tool(slug: str) -> Tool:
        tool = TOOLS.get(slug)
        if tool is None:
            raise NotFound(f"There is no tool {slug!r}; the tools are: {', '.join(TOOLS)}.")
        return tool

    def example(self, slug: str, name: str) -> ToolInput:
        examples = self.tool(slug).examples()
        if name not in examples:
            raise ToolError(f"There is no example {name!r} for this tool.", 400, "example")
        example = examples[name]
        if len(example) == 5:
            return ToolInput(example[2], example[1], None, example[4], example[3])
        return ToolInput(example[2], example[1])

    def run(self, slug: str, given: ToolInput, raw_options: Mapping[str, Any]) -> Outcome:
        """Run without storing (the outcome's id is still the shareable one)."""
        tool = self.tool(slug)
        options = tool.parse_options(raw_options)
        if given.companion and not tool.companion:
            raise ToolError(f"{tool.title} takes one file, not two.", 400, "companion")
        started = time.perf_counter()
        subject = (tool.read or read_input)(given)
        result = tool.run(subject, options)
        seconds = time.perf_counter() - started
        ident = input_id(slug, given.fmt, options, given.data, given.companion)
        return Outcome(
            tool,
            ident,
            given.filename,
            given.fmt,
            options,
            result,
            seconds,
            subject,
            given.companion_name,
        )

    def submit(self, slug: str, given: ToolInput, raw_options: Mapping[str, Any]) -> Outcome:
        """Run, then keep the input for the shareable URL (its expiry pushed back)."""
        outcome = self.run(slug, given, raw_options)
        expires = utcnow() + timedelta(days=self.settings.work_input_days)
        with self.db.unit_of_work() as uow:
            row = uow.session.get(WorkInput, outcome.id)
            if row is None:
                uow.session.add(
                    WorkInput(
                        id=outcome.id,
                        tool=slug,
                        filename=given.filename[:255],
                        fmt=given.fmt,
                        options=outcome.options,
                        size=len(given.data) + len(given.companion),
                        data=given.data,
                        companion=given.companion or None,
                        companion_filename=given.companion_name[:255] or None,
                        expires_at=expires,
                    )
                )
            else:
                row.expires_at = expires
        self._remember(outcome)
        self.purge()
        return outcome

    def result(self, slug: str, ident: str) -> Outcome:
        """The result of a stored input (from the cache, or recomputed). Viewing it pushes
        its expiry back (written at most once a day)."""
        tool = self.tool(slug)
        now = utcnow()
        lifetime = timedelta(days=self.settings.work_input_days)
        with self.db.read() as session:
            row = session.get(WorkInput, ident)
            found = (
                None
                if row is None or row.tool != slug or row.expires_at < now
                else (
                    ToolInput(
                        row.data,
                        row.filename,
                        row.fmt,
                        row.companion or b"",
                        row.companion_filename or "",
                    ),
                    dict(row.options),
                    row.expires_at,
                )
            )
        if found is None:
            raise NotFound(
                f"This {tool.title} result is unknown or has expired (results are kept "
                f"{self.settings.work_input_days} days after last use): run the tool again."
            )
        given, options, expires = found
        if expires < now + lifetime - timedelta(days=1):
            with self.db.unit_of_work() as uow:
                uow.session.execute(
                    update(WorkInput).where(WorkInput.id == ident).values(expires_at=now + lifetime)
                )
        with self._lock:
            cached = self._results.get(ident)
            if cached is not None and cached.tool.slug == slug:
                self._results.move_to_end(ident)
                return cached
        outcome = self.run(slug, given, options)
        self._remember(outcome)
        return outcome

    def phonon_mode(self, ident: str, iq: int, mode: int) -> dict[str, Any]:
        """One mode of a phonon visualiser result: its displacement pattern (to animate)."""
        return mode_document(self.result("phonons", ident).subject, iq, mode)

    def _remember(self, outcome: Outcome) -> None:
        with self._lock:
            self._results[outcome.id] = outcome
            self._results.move_to_end(outcome.id)
            while len(self._results) > RESULT_CACHE:
                self._results.popitem(last=False)

    def purge(self, *, force: bool = False) -> int:
        """Delete expired inputs (at most hourly unless forced); returns how many."""
        now = time.monotonic()
        if not force and now - self._purged < PURGE_EVERY:
            return 0
        self._purged = now
        with self.db.unit_of_work() as uow:
            result = uow.session.execute(delete(WorkInput).where(WorkInput.expires_at < utcnow()))
        with self._lock:
            self._results.clear()
        return int(getattr(result, "rowcount", 0) or 0)


__all__ = ["Outcome", "WorkService", "input_id"]
