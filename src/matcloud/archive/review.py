"""Review requests: the moderators' queue, with a timeline of everything said and done."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcloud.archive.context import (
    ArchiveContext,
    get_version,
    is_moderator,
    publishable_errors,
)
from matcloud.archive.drafts import open_request
from matcloud.archive.models import (
    Record,
    RequestEvent,
    RequestStatus,
    RequestType,
    ReviewRequest,
    Version,
    VersionState,
)
from matcloud.archive.publishing import Publisher
from matcloud.core.auth import Identity, require_authenticated, require_role
from matcloud.core.db import UnitOfWork, utcnow
from matcloud.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from matcloud.core.models import Role, User

#: What the moderators check, shown to the depositor, who confirms each point on submission.
CRITERIA: list[tuple[str, str]] = [
    (
        "scope",
        "The data comes from computational (or computational + experimental) materials "
        "science research.",
    ),
    ("paper", "The record names the paper or preprint the data supports."),
    ("formats", "The files are in open, documented formats, with a README that describes them."),
    ("reuse", "Someone else can understand and reuse the data from the record alone."),
    (
        "rights",
        "I may publish these files under the chosen licence, and they contain no personal data.",
    ),
]
MAX_COMMENT = 20_000


def _text(value: str, field: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed("Say why.", [FieldError(field, "is required")])
    if len(value) > MAX_COMMENT:
        raise ValidationFailed(
            "Too long.", [FieldError(field, f"must be at most {MAX_COMMENT} characters")]
        )
    return value


class ReviewService:
    def __init__(self, ctx: ArchiveContext, publisher: Publisher) -> None:
        self.ctx = ctx
        self.publisher = publisher

    def criteria(self) -> list[dict[str, str]]:
        return [{"id": key, "text": text} for key, text in CRITERIA]

    # -- depositor --------------------------------------------------------------------------

    def submit(
        self,
        identity: Identity,
        version_id: str,
        checklist: dict[str, Any] | None = None,
        comment: str = "",
    ) -> dict[str, Any]:
        require_authenticated(identity)
        comment = _text(comment, "comment", required=False)
        unchecked = [key for key, _ in CRITERIA if not (checklist or {}).get(key)]
        if unchecked:
            raise ValidationFailed(
                "Confirm each moderation criterion.",
                [FieldError(f"checklist.{key}", "must be confirmed") for key in unchecked],
            )
        with self.ctx.db.unit_of_work() as uow:
            session = uow.session
            version = get_version(session, version_id)
            if version.record.owner_id != identity.user_id:
                raise NotFound(f"There is no draft {version_id}.")
            correction = version.state == VersionState.PUBLISHED
            if correction and version.pending_metadata is None:
                raise Conflict(f"{version_id} is published and has no correction to review.")
            if version.state == VersionState.IN_REVIEW:
                raise Conflict(f"{version_id} is in review already.")
            if not correction:
                errors = publishable_errors(version)
                if errors:
                    raise ValidationFailed(f"{version_id} is not ready for review.", errors)
                version.state = VersionState.IN_REVIEW
            request = open_request(session, version_id)
            now = utcnow()
            if request is not None:  # changes were requested: the same request goes back
                request.status, request.updated_at = RequestStatus.SUBMITTED, now
                event = "resubmitted"
            else:
                request = ReviewRequest(
                    id=secrets.token_hex(6),
                    version_id=version_id,
                    type=RequestType.CORRECTION if correction else RequestType.SUBMISSION,
                    status=RequestStatus.SUBMITTED,
                    created_by=identity.user_id,
                )
                session.add(request)
                event = "submitted"
            request.checklist = {key: True for key, _ in CRITERIA}
            session.add(
                RequestEvent(
                    request=request, type=event, actor_id=identity.user_id, content=comment
                )
            )
            session.flush()
            title = version.metadata_json.get("title", version_id)
            self.ctx.mail.queue_for_role(
                uow,
                Role.MODERATOR,
                f"[{self.ctx.settings.site_name}] Review requested: {title}",
                f"{identity.name} asks for a review of {version_id} ({request.type.value}).\n\n"
                f"{self.ctx.url('/requests/' + request.id)}\n",
            )
            return self._request_json(session, request)

    def cancel(self, identity: Identity, request_id: str) -> dict[str, Any]:
        with self.ctx.db.unit_of_work() as uow:
            request = self._load(uow.session, identity, request_id)
            if request.created_by != identity.user_id:
                raise Conflict("Only the depositor cancels a request; moderators decline it.")
            return self._close(uow, identity, request, RequestStatus.CANCELLED, "cancelled", "")

    # -- both -------------------------------------------------------------------------------

    def comment(self, identity: Identity, request_id: str, content: str) -> dict[str, Any]:
        content = _text(content, "payload.content", required=True)
        with self.ctx.db.unit_of_work() as uow:
            request = self._load(uow.session, identity, request_id)
            event = RequestEvent(
                request=request, type="comment", actor_id=identity.user_id, content=content
            )
            uow.session.add(event)
            request.updated_at = utcnow()
            uow.session.flush()
            self._notify_other_side(uow, identity, request, "New comment", content)
            return self._event_json(uow.session, event)

    # -- moderators -------------------------------------------------------------------------

    def accept(self, identity: Identity, request_id: str, comment: str = "") -> dict[str, Any]:
        require_role(identity, Role.MODERATOR)
        comment = _text(comment, "payload.content", required=False)
        with self.ctx.db.unit_of_work() as uow:
            request = self._load(uow.session, identity, request_id)
            self._require_open(request, RequestStatus.SUBMITTED)
            version = get_version(uow.session, request.version_id)
            if comment:
                uow.session.add(
                    RequestEvent(
                        request=request, type="comment", actor_id=identity.user_id, content=comment
                    )
                )
            if request.type == RequestType.CORRECTION:
                self.publisher.apply_correction(uow, version)
                request.status, request.closed_at = RequestStatus.ACCEPTED, utcnow()
                uow.session.add(
                    RequestEvent(request=request, type="accepted", actor_id=identity.user_id)
                )
            else:
                self.publisher.publish_in(uow, identity, version)  # closes the request
            uow.session.flush()
            self._notify_owner(uow, request, "Accepted", f"{version.id} is published.")
            return self._request_json(uow.session, request)

    def request_changes(self, identity: Identity, request_id: str, comment: str) -> dict[str, Any]:
        require_role(identity, Role.MODERATOR)
        comment = _text(comment, "payload.content", required=True)
        with self.ctx.db.unit_of_work() as uow:
            request = self._load(uow.session, identity, request_id)
            self._require_open(request, RequestStatus.SUBMITTED)
            request.status, request.updated_at = RequestStatus.CHANGES_REQUESTED, utcnow()
            version = get_version(uow.session, request.version_id)
            if version.state == VersionState.IN_REVIEW:
                version.state = VersionState.DRAFT
            event = RequestEvent(
                request=request,
                type="changes_requested",
                actor_id=identity.user_id,
                content=comment,
            )
            uow.session.add(event)
            uow.session.flush()
            self._notify_owner(uow, request, "Changes requested", comment)
            return self._request_json(uow.session, request)

    def decline(self, identity: Identity, request_id: str, comment: str) -> dict[str, Any]:
        require_role(identity, Role.MODERATOR)
        comment = _text(comment, "payload.content", required=True)
        with self.ctx.db.unit_of_work() as uow:
            request = self._load(uow.session, identity, request_id)
            result = self._close(
                uow, identity, request, RequestStatus.DECLINED, "declined", comment
            )
            self._notify_owner(uow, request, "Declined", comment)
            return result

    # -- reading ----------------------------------------------------------------------------

    def get(self, identity: Identity, request_id: str) -> dict[str, Any]:
        with self.ctx.db.read() as session:
            return self._request_json(session, self._load(session, identity, request_id))

    def list(
        self, identity: Identity, *, open_only: bool = True, page: int = 1, size: int = 25
    ) -> dict[str, Any]:
        """Moderators see the whole queue; depositors their own requests."""
        require_authenticated(identity)
        size = max(1, min(size, 100))
        with self.ctx.db.read() as session:
            query = select(ReviewRequest)
            if not is_moderator(identity):
                query = query.where(ReviewRequest.created_by == identity.user_id)
            if open_only:
                query = query.where(
                    ReviewRequest.status.in_(
                        [RequestStatus.SUBMITTED, RequestStatus.CHANGES_REQUESTED]
                    )
                )
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(
                query.order_by(ReviewRequest.updated_at.desc())
                .offset((max(page, 1) - 1) * size)
                .limit(size)
            ).all()
            return {
                "hits": {
                    "total": total,
                    "hits": [self._request_json(session, r, timeline=False) for r in rows],
                }
            }

    # -- helpers ----------------------------------------------------------------------------

    def _load(self, session: Session, identity: Identity, request_id: str) -> ReviewRequest:
        require_authenticated(identity)
        request = session.get(ReviewRequest, request_id)
        if request is None or not (
            is_moderator(identity) or request.created_by == identity.user_id
        ):
            raise NotFound(f"There is no request {request_id}.")
        return request

    @staticmethod
    def _require_open(request: ReviewRequest, *states: RequestStatus) -> None:
        if request.status not in states:
            raise Conflict(f"The request is {request.status.value}; that is not possible now.")

    def _close(
        self,
        uow: UnitOfWork,
        identity: Identity,
        request: ReviewRequest,
        status: RequestStatus,
        event: str,
        comment: str,
    ) -> dict[str, Any]:
        if not request.status.is_open:
            raise Conflict(f"The request is {request.status.value} already.")
        now = utcnow()
        request.status, request.closed_at, request.updated_at = status, now, now
        version = get_version(uow.session, request.version_id)
        if version.state == VersionState.IN_REVIEW:
            version.state = VersionState.DRAFT
        uow.session.add(
            RequestEvent(request=request, type=event, actor_id=identity.user_id, content=comment)
        )
        uow.session.flush()
        return self._request_json(uow.session, request)

    def _notify_owner(self, uow: UnitOfWork, request: ReviewRequest, what: str, text: str) -> None:
        owner = uow.session.get(User, request.created_by)
        if owner is not None:
            self.ctx.mail.queue(
                uow,
                owner.email,
                f"[{self.ctx.settings.site_name}] {what}: {request.version_id}",
                f"{text}\n\n{self.ctx.url('/requests/' + request.id)}\n",
            )

    def _notify_other_side(
        self, uow: UnitOfWork, identity: Identity, request: ReviewRequest, what: str, text: str
    ) -> None:
        if identity.user_id == request.created_by:
            self.ctx.mail.queue_for_role(
                uow, Role.MODERATOR, f"[{self.ctx.settings.site_name}] {what}", text
            )
        else:
            self._notify_owner(uow, request, what, text)

    def _event_json(self, session: Session, event: RequestEvent) -> dict[str, Any]:
        actor = session.get(User, event.actor_id) if event.actor_id else None
        return {
            "id": event.id,
            "type": event.type,
            "created": event.created_at.isoformat(),
            "created_by": {"user": event.actor_id, "name": actor.name if actor else None},
            "payload": {"content": event.content, "format": "markdown"},
        }

    def _request_json(
        self, session: Session, request: ReviewRequest, *, timeline: bool = True
    ) -> dict[str, Any]:
        version = session.get(Version, request.version_id)
        record = session.get(Record, version.record_id) if version else None
        owner = session.get(User, request.created_by)
        body: dict[str, Any] = {
            "id": request.id,
            "type": request.type.value,
            "status": request.status.value,
            "is_open": request.status.is_open,
            "title": (version.metadata_json.get("title") if version else None)
            or request.version_id,
            "topic": {"record": request.version_id, "parent": record.id if record else None},
            "created_by": {"user": request.created_by, "name": owner.name if owner else None},
            "checklist": [
                {"id": key, "text": text, "confirmed": bool(request.checklist.get(key))}
                for key, text in CRITERIA
            ],
            "created": request.created_at.isoformat(),
            "updated": request.updated_at.isoformat(),
            "links": {
                "self": self.ctx.url(f"/api/requests/{request.id}"),
                "self_html": self.ctx.url(f"/requests/{request.id}"),
                "record": self.ctx.url(f"/api/records/{request.version_id}/draft"),
                "comments": self.ctx.url(f"/api/requests/{request.id}/comments"),
                "actions": {
                    a: self.ctx.url(f"/api/requests/{request.id}/actions/{a}")
                    for a in ("accept", "decline", "cancel", "request-changes")
                },
            },
        }
        if timeline:
            body["timeline"] = [self._event_json(session, e) for e in request.events]
        return body


__all__ = ["CRITERIA", "ReviewService"]
