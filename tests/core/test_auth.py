"""Accounts, passwords, sessions, tokens, rate limits: against the real database."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from matcloud.core.auth import AuthService, Identity, require_role
from matcloud.core.db import Database, utcnow
from matcloud.core.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from matcloud.core.models import ApiToken, LoginAttempt, Role, User, UserSession

PASSWORD = "correct horse battery staple"


@pytest.fixture
def auth(db: Database) -> AuthService:
    return AuthService(db, max_failures=5, max_failures_per_address=8, window_seconds=900)


def test_passwords_are_stored_as_argon2id(auth: AuthService, db: Database) -> None:
    auth.create_user(None, "ada@example.org", "Ada", password=PASSWORD)
    with db.read() as session:
        stored = session.scalar(select(User.password_hash))
    assert stored is not None and stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_tokens_are_stored_hashed(auth: AuthService, db: Database) -> None:
    auth.create_user(None, "ada@example.org", "Ada", password=PASSWORD)
    new = auth.create_token(None, "ada@example.org", "laptop")
    assert new.secret.startswith("mct_") and len(new.secret) > 40
    with db.read() as session:
        rows = session.execute(text("SELECT * FROM api_tokens")).mappings().all()
    dump = repr([dict(r) for r in rows])
    assert new.secret not in dump and new.secret[4:] not in dump
    assert rows[0]["token_hash"] == hashlib.sha256(new.secret.encode()).hexdigest()
    found = auth.identity_from_token(new.secret)
    assert found is not None and found.email == "ada@example.org" and found.via == "token"


def test_unknown_revoked_and_expired_tokens_are_refused(auth: AuthService, db: Database) -> None:
    auth.create_user(None, "ada@example.org", "Ada", password=PASSWORD)
    assert auth.identity_from_token("mct_unknown") is None
    assert auth.identity_from_token("not-even-a-token") is None
    expired = auth.create_token(None, "ada@example.org")
    with db.unit_of_work() as uow:
        uow.session.execute(
            update(ApiToken)
            .where(ApiToken.id == expired.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert auth.identity_from_token(expired.secret) is None
    ada = auth.get_user("ada@example.org")
    ada = Identity(ada.user_id, ada.email, ada.name, ada.role, "session")
    revoked = auth.create_token(ada, "ada@example.org")
    auth.revoke_token(ada, revoked.id)
    assert auth.identity_from_token(revoked.secret) is None


def test_only_admins_make_tokens_for_others(auth: AuthService) -> None:
    ada = auth.create_user(None, "ada@example.org", "Ada", password=PASSWORD)
    auth.create_user(None, "bob@example.org", "Bob", password=PASSWORD)
    with pytest.raises(PermissionDenied):
        auth.create_token(ada, "bob@example.org")
    root = auth.create_user(None, "root@example.org", "Root", password=PASSWORD, role=Role.ADMIN)
    assert auth.create_token(root, "bob@example.org").secret


def test_sign_in_opens_a_session_that_sign_out_closes(auth: AuthService, db: Database) -> None:
    auth.create_user(None, "ada@example.org", "Ada", password=PASSWORD)
    new = auth.sign_in("Ada@Example.org", PASSWORD, address="127.0.0.1")
    assert auth.identity_from_session(new.secret).email == "ada@example.org"
    with db.read() as session:
        assert session.scalar(select(UserSession.session_hash)) != new.secret
    auth.sign_out(new.secret)
    assert auth.identity_from_session(new.secret).is_authenticated is False


def test_expired_session_is_anonymous(auth: AuthService, db: Database) -> None:
    auth.create_user(None, "ada@example.org", "Ada", password=PASSWORD)
    new = auth.sign_in("ada@example.org", PASSWORD, address="127.0.0.1")
    with db.unit_of_work() as uow:
        uow.session.execute(update(UserSession).values(expires_at=utcnow()))
    assert auth.identity_from_session(new.secret).is_authenticated is False


def test_rate_limit_per_account_blocks_even_the_right_password(auth: AuthService) -> None:
    auth.create_user(None, "ada@example.org", "Ada", password=PASSWORD)
    for _ in range(5):
        with pytest.raises(NotAuthenticated):
            auth.sign_in("ada@example.org", "wrong", address="10.0.0.1")
    with pytest.raises(RateLimited) as blocked:
        auth.sign_in("ada@example.org", PASSWORD, address="10.0.0.2")
    assert 0 < blocked.value.retry_after <= 901


def test_rate_limit_per_address_covers_many_accounts(auth: AuthService) -> None:
    for i in range(8):
        with pytest.raises(NotAuthenticated):
            auth.sign_in(f"user{i}@example.org", "wrong", address="10.0.0.9")
    with pytest.raises(RateLimited):
        auth.sign_in("someone@example.org", "wrong", address="10.0.0.9")


def test_window_expiry_lifts_the_limit(auth: AuthService, db: Database) -> None:
    auth.create_user(None, "ada@example.org", "Ada", password=PASSWORD)
    for _ in range(5):
        with pytest.raises(NotAuthenticated):
            auth.sign_in("ada@example.org", "wrong", address="10.0.0.1")
    with db.unit_of_work() as uow:
        uow.session.execute(update(LoginAttempt).values(at=utcnow() - timedelta(seconds=901)))
    assert auth.sign_in("ada@example.org", PASSWORD, address="10.0.0.1").identity.email


def test_success_clears_earlier_failures(auth: AuthService, db: Database) -> None:
    auth.create_user(None, "ada@example.org", "Ada", password=PASSWORD)
    for _ in range(4):
        with pytest.raises(NotAuthenticated):
            auth.sign_in("ada@example.org", "wrong", address="10.0.0.1")
    auth.sign_in("ada@example.org", PASSWORD, address="10.0.0.1")
    with db.read() as session:
        assert session.scalars(select(LoginAttempt)).all() == []


def test_account_validation_names_each_field(auth: AuthService) -> None:
    with pytest.raises(ValidationFailed) as error:
        auth.create_user(None, "not-an-email", " ", password="short", orcid="123")
    assert {e.field for e in error.value.errors} == {"email", "name", "password", "orcid"}


def test_duplicate_account_is_a_conflict(auth: AuthService) -> None:
    auth.create_user(None, "ada@example.org", "Ada", password=PASSWORD)
    with pytest.raises(Conflict):
        auth.create_user(None, "ADA@example.org", "Ada again", password=PASSWORD)


def test_roles_rank(auth: AuthService) -> None:
    moderator = auth.create_user(
        None, "mod@example.org", "Mod", password=PASSWORD, role=Role.MODERATOR
    )
    require_role(moderator, Role.USER)
    require_role(moderator, Role.MODERATOR)
    with pytest.raises(PermissionDenied):
        require_role(moderator, Role.ADMIN)
    with pytest.raises(NotAuthenticated):
        require_role(Identity(), Role.USER)
    with pytest.raises(PermissionDenied):
        auth.create_user(moderator, "x@example.org", "X", password=PASSWORD)


def test_set_password_signs_out_everywhere(auth: AuthService) -> None:
    auth.create_user(None, "ada@example.org", "Ada", password=PASSWORD)
    new = auth.sign_in("ada@example.org", PASSWORD, address="127.0.0.1")
    auth.set_password("ada@example.org", "another long password")
    assert auth.identity_from_session(new.secret).is_authenticated is False
    with pytest.raises(NotAuthenticated):
        auth.sign_in("ada@example.org", PASSWORD, address="127.0.0.1")
    with pytest.raises(NotFound):
        auth.set_password("nobody@example.org", "another long password")
