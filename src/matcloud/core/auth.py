"""Identities, roles, passwords, sessions, API tokens and permission checks.

Passwords are hashed with argon2id. API tokens and session ids are random 256-bit secrets: the
database keeps only their SHA-256 (a fast hash is right for high-entropy secrets and lets the
lookup use an index), so a copy of the database grants no access. Sign-in failures are
rate-limited per account and per client address, across processes (the count lives in the
database).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select, update

from matcloud.core.db import Database, utcnow
from matcloud.core.errors import (
    Conflict,
    FieldError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from matcloud.core.models import ApiToken, LoginAttempt, Role, User, UserSession

TOKEN_PREFIX = "mct_"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$|^[^@\s]+@localhost$")
ORCID_RE = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class Identity:
    """Who is acting. Services take it first; the anonymous identity has ``user_id`` None."""

    user_id: int | None = None
    email: str = ""
    name: str = ""
    role: Role = Role.USER
    via: str = "anonymous"  # "session", "token" or "anonymous"

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    def has_role(self, role: Role) -> bool:
        return self.is_authenticated and self.role.rank >= role.rank

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.user_id,
            "email": self.email,
            "name": self.name,
            "role": self.role.value if self.is_authenticated else None,
            "authenticated": self.is_authenticated,
        }


ANONYMOUS = Identity()


def require_authenticated(identity: Identity) -> None:
    if not identity.is_authenticated:
        raise NotAuthenticated("Sign in to do this.")


def require_role(identity: Identity, role: Role) -> None:
    """Raise unless ``identity`` holds ``role`` or a higher one."""
    require_authenticated(identity)
    if not identity.has_role(role):
        raise PermissionDenied(f"This needs the {role.value} role.")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _identity(user: User, via: str) -> Identity:
    return Identity(user.id, user.email, user.name, user.role, via)


@dataclass(frozen=True)
class NewToken:
    """A freshly made API token: ``secret`` is shown once and never stored."""

    id: int
    name: str
    secret: str
    prefix: str


@dataclass(frozen=True)
class NewSession:
    identity: Identity
    secret: str
    max_age: int


@dataclass(frozen=True)
class TokenView:
    id: int
    name: str
    prefix: str
    created_at: str
    last_used_at: str | None


class AuthService:
    """Accounts, sign-in, sessions and tokens."""

    def __init__(
        self,
        db: Database,
        *,
        session_days: int = 14,
        max_failures: int = 5,
        max_failures_per_address: int = 20,
        window_seconds: int = 900,
    ) -> None:
        self.db = db
        self.session_days = session_days
        self.max_failures = max_failures
        self.max_failures_per_address = max_failures_per_address
        self.window = timedelta(seconds=window_seconds)
        self._hasher = PasswordHasher()

    # -- accounts ---------------------------------------------------------------------------

    def create_user(
        self,
        actor: Identity | None,
        email: str,
        name: str,
        *,
        password: str | None = None,
        role: Role = Role.USER,
        orcid: str | None = None,
        is_demo: bool = False,
    ) -> Identity:
        """Make an account. ``actor`` None means the operator's command line; otherwise admins."""
        if actor is not None:
            require_role(actor, Role.ADMIN)
        email = email.strip().lower()
        errors = []
        if not EMAIL_RE.match(email):
            errors.append(FieldError("email", "is not an e-mail address"))
        if not name.strip():
            errors.append(FieldError("name", "must not be empty"))
        if orcid is not None and not ORCID_RE.match(orcid):
            errors.append(FieldError("orcid", "must look like 0000-0002-1825-0097"))
        if password is not None and len(password) < MIN_PASSWORD_LENGTH:
            errors.append(
                FieldError("password", f"must have at least {MIN_PASSWORD_LENGTH} characters")
            )
        if errors:
            raise ValidationFailed("The account cannot be created.", errors)
        with self.db.unit_of_work() as uow:
            if uow.session.scalar(select(User.id).where(User.email == email)) is not None:
                raise Conflict(f"An account for {email} exists already.")
            user = User(
                email=email,
                name=name.strip(),
                role=role,
                orcid=orcid,
                is_demo=is_demo,
                password_hash=self._hasher.hash(password) if password else None,
            )
            uow.session.add(user)
            uow.session.flush()
            return _identity(user, "anonymous")

    def get_user(self, email: str) -> Identity:
        with self.db.read() as session:
            user = session.scalar(select(User).where(User.email == email.strip().lower()))
            if user is None:
                raise NotFound(f"No account for {email}.")
            return _identity(user, "anonymous")

    def first_admin(self) -> Identity:
        """The oldest admin account: who an operator's command acts as by default."""
        with self.db.read() as session:
            user = session.scalar(
                select(User).where(User.role == Role.ADMIN).order_by(User.id).limit(1)
            )
            if user is None:
                raise NotFound("This instance has no admin account (run `matcloud init`).")
            return _identity(user, "cli")

    def count_users(self) -> int:
        with self.db.read() as session:
            return session.scalar(select(func.count(User.id))) or 0

    def set_password(self, email: str, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValidationFailed(
                "The password is too short.",
                [FieldError("password", f"must have at least {MIN_PASSWORD_LENGTH} characters")],
            )
        with self.db.unit_of_work() as uow:
            user = uow.session.scalar(select(User).where(User.email == email.strip().lower()))
            if user is None:
                raise NotFound(f"No account for {email}.")
            user.password_hash = self._hasher.hash(password)
            uow.session.execute(delete(UserSession).where(UserSession.user_id == user.id))

    # -- sign-in ----------------------------------------------------------------------------

    def sign_in(
        self, email: str, password: str, *, address: str, user_agent: str = ""
    ) -> NewSession:
        """Check the password and open a session, unless the account or address is throttled.

        Throttling is checked before the password, so a locked-out attacker learns nothing, and
        the error is the same whether the account exists or not.
        """
        email = email.strip().lower()
        now = utcnow()
        since = now - self.window
        with self.db.unit_of_work() as uow:
            session = uow.session
            by_account = session.scalar(
                select(func.count(LoginAttempt.id)).where(
                    LoginAttempt.email == email, LoginAttempt.at > since
                )
            )
            by_address = session.scalar(
                select(func.count(LoginAttempt.id)).where(
                    LoginAttempt.address == address, LoginAttempt.at > since
                )
            )
            if (by_account or 0) >= self.max_failures or (
                by_address or 0
            ) >= self.max_failures_per_address:
                oldest = session.scalar(
                    select(func.min(LoginAttempt.at)).where(
                        (LoginAttempt.email == email) | (LoginAttempt.address == address),
                        LoginAttempt.at > since,
                    )
                )
                wait = int(((oldest or now) + self.window - now).total_seconds()) + 1
                raise RateLimited(
                    f"Too many failed sign-ins. Try again in {max(wait, 1) // 60 + 1} minutes.",
                    retry_after=max(wait, 1),
                )
            user = session.scalar(select(User).where(User.email == email))
            if user is None or not user.is_active or not self._verify(user, password):
                session.add(LoginAttempt(email=email, address=address, at=now))
                failed = True
            else:
                failed = False
                if self._hasher.check_needs_rehash(user.password_hash or ""):
                    user.password_hash = self._hasher.hash(password)
                secret = secrets.token_urlsafe(32)
                session.add(
                    UserSession(
                        user_id=user.id,
                        session_hash=hash_secret(secret),
                        expires_at=now + timedelta(days=self.session_days),
                        address=address[:64],
                        user_agent=user_agent[:300],
                    )
                )
                session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
                identity = _identity(user, "session")
        if failed:  # recorded above, outside the rolled-back path
            raise NotAuthenticated("The e-mail address or the password is wrong.")
        return NewSession(identity, secret, self.session_days * 86400)

    def _verify(self, user: User, password: str) -> bool:
        if not user.password_hash:
            return False
        try:
            return self._hasher.verify(user.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def identity_from_session(self, secret: str) -> Identity:
        with self.db.read() as session:
            row = session.execute(
                select(User, UserSession.expires_at)
                .join(UserSession, UserSession.user_id == User.id)
                .where(UserSession.session_hash == hash_secret(secret))
            ).first()
        if row is None or row[1] <= utcnow() or not row[0].is_active:
            return ANONYMOUS
        return _identity(row[0], "session")

    def sign_out(self, secret: str) -> None:
        with self.db.unit_of_work() as uow:
            uow.session.execute(
                delete(UserSession).where(UserSession.session_hash == hash_secret(secret))
            )

    # -- API tokens -------------------------------------------------------------------------

    def create_token(self, actor: Identity | None, email: str, name: str = "api") -> NewToken:
        """A new personal token for ``email``: by its owner, an admin, or the command line."""
        with self.db.unit_of_work() as uow:
            user = uow.session.scalar(select(User).where(User.email == email.strip().lower()))
            if user is None:
                raise NotFound(f"No account for {email}.")
            if actor is not None and actor.user_id != user.id:
                require_role(actor, Role.ADMIN)
            secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
            token = ApiToken(
                user_id=user.id,
                name=(name.strip() or "api")[:100],
                token_hash=hash_secret(secret),
                prefix=secret[: len(TOKEN_PREFIX) + 6],
            )
            uow.session.add(token)
            uow.session.flush()
            return NewToken(token.id, token.name, secret, token.prefix)

    def identity_from_token(self, secret: str) -> Identity | None:
        """The token's owner, or None for an unknown, revoked or expired token."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        now = utcnow()
        with self.db.read() as session:
            row = session.execute(
                select(User, ApiToken)
                .join(ApiToken, ApiToken.user_id == User.id)
                .where(ApiToken.token_hash == hash_secret(secret), ApiToken.revoked_at.is_(None))
            ).first()
        if row is None:
            return None
        user, token = row
        if (token.expires_at and token.expires_at <= now) or not user.is_active:
            return None
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
            with self.db.unit_of_work() as uow:  # throttled: at most one write per 5 minutes
                uow.session.execute(
                    update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
                )
        return _identity(user, "token")

    def list_tokens(self, actor: Identity) -> list[TokenView]:
        require_authenticated(actor)
        with self.db.read() as session:
            tokens = session.scalars(
                select(ApiToken)
                .where(ApiToken.user_id == actor.user_id, ApiToken.revoked_at.is_(None))
                .order_by(ApiToken.created_at.desc())
            ).all()
            return [
                TokenView(
                    t.id,
                    t.name,
                    t.prefix,
                    t.created_at.isoformat(),
                    t.last_used_at.isoformat() if t.last_used_at else None,
                )
                for t in tokens
            ]

    def revoke_token(self, actor: Identity, token_id: int) -> None:
        require_authenticated(actor)
        with self.db.unit_of_work() as uow:
            token = uow.session.get(ApiToken, token_id)
            if token is None or (token.user_id != actor.user_id and not actor.has_role(Role.ADMIN)):
                raise NotFound("No such token.")
            token.revoked_at = utcnow()


__all__ = [
    "ANONYMOUS",
    "AuthService",
    "Identity",
    "NewSession",
    "NewToken",
    "TokenView",
    "hash_secret",
    "require_authenticated",
    "require_role",
]
