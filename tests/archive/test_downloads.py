"""Signed download links: bound to one file, short-lived, and useless once edited."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

from matcloud.archive.downloads import (
    CLOCK_SKEW_SECONDS,
    SALT,
    DownloadExpired,
    DownloadGrant,
    DownloadSigner,
)
from matcloud.core.errors import NotFound, PermissionDenied

SECRET = "test-secret-key-not-for-production"
BLOB = "ab" * 32
T0 = 1_700_000_000.0


def issue(signer: DownloadSigner, *, key: str = "data/Si.cif", now: float = T0) -> str:
    return signer.issue(version_id="v-1", key=key, blob_id=BLOB, size=1234, now=now)


def test_a_token_round_trips_to_its_grant() -> None:
    signer = DownloadSigner(SECRET)
    token = issue(signer)
    assert signer.verify(token, now=T0 + 1) == DownloadGrant(
        version_id="v-1", key="data/Si.cif", blob_id=BLOB, size=1234
    )


def test_tokens_are_url_safe() -> None:
    signer = DownloadSigner(SECRET)
    for key in ("données/résumé.txt", "a b/c?d=e&f#g", "结构/硅.cif", "x" * 300):
        token = issue(signer, key=key)
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+", token)
        assert quote(token, safe="") == token
        assert signer.verify(token, now=T0).key == key


def test_the_real_clock_is_the_default() -> None:
    signer = DownloadSigner(SECRET)
    token = signer.issue(version_id="v", key="k", blob_id=BLOB, size=0)
    assert signer.verify(token).size == 0


def test_a_token_lives_exactly_its_ttl() -> None:
    signer = DownloadSigner(SECRET, ttl_seconds=600)
    token = issue(signer)
    assert signer.verify(token, now=T0 + 600).key == "data/Si.cif"
    with pytest.raises(DownloadExpired) as caught:
        signer.verify(token, now=T0 + 601)
    assert isinstance(caught.value, PermissionDenied)
    assert caught.value.status == 403
    assert caught.value.detail == "This download link has expired; ask for a new one."


def test_the_ttl_is_the_verifiers() -> None:
    token = issue(DownloadSigner(SECRET, ttl_seconds=3600))
    with pytest.raises(DownloadExpired):
        DownloadSigner(SECRET, ttl_seconds=60).verify(token, now=T0 + 61)


def test_a_little_clock_skew_is_tolerated() -> None:
    """The server that serves a link may run slightly behind the one that issued it."""
    signer = DownloadSigner(SECRET)
    token = issue(signer)
    assert signer.verify(token, now=T0 - CLOCK_SKEW_SECONDS).blob_id == BLOB
    with pytest.raises(DownloadExpired):
        signer.verify(token, now=T0 - CLOCK_SKEW_SECONDS - 1)


def _flip(char: str) -> str:
    return "A" if char != "A" else "B"


@pytest.mark.parametrize("position", [0, 5, 20, -30, -1])
def test_any_edit_makes_the_token_invalid(position: int) -> None:
    signer = DownloadSigner(SECRET)
    token = issue(signer)
    index = position % len(token)
    tampered = token[:index] + _flip(token[index]) + token[index + 1 :]
    with pytest.raises(NotFound) as caught:
        signer.verify(tampered, now=T0)
    assert caught.value.detail == "This download link is invalid."


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "...", "x" * 5000, "\u00e9t\u00e9"])
def test_garbage_is_invalid(token: str) -> None:
    with pytest.raises(NotFound):
        DownloadSigner(SECRET).verify(token, now=T0)


def test_a_truncated_token_is_invalid() -> None:
    signer = DownloadSigner(SECRET)
    token = issue(signer)
    for cut in (1, len(token) // 2, len(token) - 1):
        with pytest.raises(NotFound):
            signer.verify(token[:cut], now=T0)


def test_an_edited_expired_token_is_invalid_not_expired() -> None:
    """Only an authentic link hears "ask for a new one"; a forged one simply leads nowhere."""
    signer = DownloadSigner(SECRET)
    token = issue(signer)
    tampered = token[:-1] + _flip(token[-1])
    with pytest.raises(NotFound):
        signer.verify(tampered, now=T0 + 10**6)


def test_another_instances_key_is_invalid() -> None:
    token = issue(DownloadSigner("another-instance-secret"))
    with pytest.raises(NotFound):
        DownloadSigner(SECRET).verify(token, now=T0)


def test_values_signed_for_other_purposes_are_invalid() -> None:
    payload = ["v-1", "data/Si.cif", BLOB, 1234]
    session_cookie = URLSafeSerializer(SECRET, salt="matcloud.session").dumps(payload)
    other_timed = URLSafeTimedSerializer(SECRET, salt="matcloud.other").dumps(payload)
    unsalted = URLSafeTimedSerializer(SECRET).dumps(payload)
    for token in (session_cookie, other_timed, unsalted):
        with pytest.raises(NotFound):
            DownloadSigner(SECRET).verify(str(token))


@pytest.mark.parametrize(
    "payload",
    [
        {"version_id": "v", "key": "k", "blob_id": BLOB, "size": 1},
        ["v", "k", BLOB],
        ["v", "k", BLOB, 1, "extra"],
        ["v", "k", BLOB, "1"],
        ["v", "k", BLOB, -1],
        ["v", "k", BLOB, True],
        ["v", 7, BLOB, 1],
        "just a string",
    ],
)
def test_a_signed_payload_of_the_wrong_shape_is_invalid(payload: object) -> None:
    """Defence in depth: even a correctly signed token must carry a well-formed grant."""
    token = URLSafeTimedSerializer(SECRET, salt=SALT).dumps(payload)
    with pytest.raises(NotFound):
        DownloadSigner(SECRET).verify(str(token))


def test_the_grant_names_exactly_one_file() -> None:
    """A link for one file says so: the route serves that version, key and blob and no other."""
    signer = DownloadSigner(SECRET)
    one = signer.issue(version_id="v-1", key="a.cif", blob_id=BLOB, size=10, now=T0)
    two = signer.issue(version_id="v-1", key="b.cif", blob_id="cd" * 32, size=20, now=T0)
    assert one != two
    assert signer.verify(one, now=T0) == DownloadGrant("v-1", "a.cif", BLOB, 10)
    assert signer.verify(two, now=T0) == DownloadGrant("v-1", "b.cif", "cd" * 32, 20)


def test_a_token_can_be_used_many_times_while_valid() -> None:
    """Range requests and download managers reuse the URL: no single-use nonce."""
    signer = DownloadSigner(SECRET)
    token = issue(signer)
    grants = {signer.verify(token, now=T0 + offset) for offset in range(0, 600, 60)}
    assert len(grants) == 1


def test_configuration_is_checked_and_the_key_never_printed() -> None:
    with pytest.raises(ValueError):
        DownloadSigner("")
    with pytest.raises(ValueError):
        DownloadSigner(SECRET, ttl_seconds=0)
    signer = DownloadSigner(SECRET, ttl_seconds=30)
    assert SECRET not in repr(signer)
    assert signer.ttl_seconds == 30
