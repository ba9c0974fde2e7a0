"""DOIs registered with DataCite through its REST API (JSON:API, ``/dois``).

The life of a DOI here follows DataCite's states: a **draft** is created when the DOI is
reserved (``POST /dois`` with only the DOI), the ``publish`` event makes it **findable** with the
full metadata and the landing page URL, a later ``PUT`` without an event updates the metadata of
a corrected record, and the ``hide`` event (``register`` from a draft) leaves it **registered**
(resolving, to the tombstone, but out of DataCite's search) when a record is retracted.

Every call is idempotent from the outside: a draft whose ``POST`` answer was lost shows up as
"already taken" on the next attempt, which then asks DataCite where the DOI stands. Failures are
:class:`~matcloud.archive.pids.PidError`: transient (network, timeouts, 429, 5xx) or permanent
(refused credentials, a prefix that is not ours, metadata DataCite rejects), which decides
whether the registration job retries.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from matcloud.archive.pids import REGISTERED, RESERVED, TOMBSTONE, PidError, PidSync

MEDIA_TYPE = "application/vnd.api+json"
#: DataCite's test system; production is https://api.datacite.org.
TEST_API = "https://api.test.datacite.org"
#: Longest piece of a DataCite answer quoted in an error.
MAX_QUOTE = 500


def _errors(response: httpx.Response) -> str:
    """DataCite's JSON:API ``errors`` as one line, or the start of whatever it sent."""
    try:
        body = response.json()
        items = body.get("errors") or []
        parts = [
            f"{item.get('source')}: {item.get('title')}" if item.get("source") else item["title"]
            for item in items
            if isinstance(item, dict) and item.get("title")
        ]
        if parts:
            return "; ".join(parts)[:MAX_QUOTE]
    except (ValueError, AttributeError, KeyError, TypeError):
        pass
    return response.text[:MAX_QUOTE].strip() or response.reason_phrase


class DataCiteClient:
    """The few calls of DataCite's REST API that registration needs, errors made explicit."""

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.http = httpx.Client(
            base_url=self.url,
            auth=(username, password),
            timeout=timeout,
            headers={"Accept": MEDIA_TYPE, "User-Agent": "matcloud (DOI registration)"},
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        try:
            return self.http.request(
                method,
                path,
                json=body,
                headers={"Content-Type": MEDIA_TYPE} if body is not None else None,
            )
        except httpx.TimeoutException as exc:
            raise PidError(f"DataCite did not answer in time ({method} {path}): {exc}") from exc
        except httpx.HTTPError as exc:
            raise PidError(f"DataCite could not be reached ({method} {path}): {exc}") from exc

    def _data(self, response: httpx.Response, what: str) -> dict[str, Any]:
        try:
            data = response.json()["data"]
            if not isinstance(data, dict) or not isinstance(data.get("attributes"), dict):
                raise TypeError("no attributes")
            return data
        except (ValueError, KeyError, TypeError) as exc:
            raise PidError(
                f"DataCite answered {what} with {response.status_code} but not JSON:API: "
                f"{response.text[:MAX_QUOTE]!r}"
            ) from exc

    def _fail(self, response: httpx.Response, what: str) -> PidError:
        status, detail = response.status_code, _errors(response)
        if status in (401, 403):
            return PidError(
                f"DataCite refused {what} ({status}): {detail}. Check datacite_username, "
                "datacite_password and that doi_prefix belongs to that repository.",
                permanent=True,
            )
        if status in (400, 415, 422):
            return PidError(f"DataCite rejected {what} ({status}): {detail}", permanent=True)
        return PidError(f"DataCite failed {what} ({status}): {detail}")

    def get(self, doi: str) -> dict[str, Any] | None:
        response = self._call("GET", f"/dois/{doi}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._fail(response, f"the look-up of {doi}")
        return self._data(response, f"the look-up of {doi}")

    def create(self, doi: str, attributes: dict[str, Any]) -> dict[str, Any] | None:
        """``POST /dois``; ``None`` if DataCite says the DOI exists already."""
        body = {"data": {"type": "dois", "attributes": {**attributes, "doi": doi}}}
        response = self._call("POST", "/dois", body)
        if response.status_code == 422 and "taken" in _errors(response).lower():
            return None
        if response.status_code != 201:
            raise self._fail(response, f"the creation of {doi}")
        return self._data(response, f"the creation of {doi}")

    def update(self, doi: str, attributes: dict[str, Any]) -> dict[str, Any] | None:
        """``PUT /dois/{doi}``; ``None`` if DataCite does not know the DOI."""
        body = {"data": {"id": doi, "type": "dois", "attributes": attributes}}
        response = self._call("PUT", f"/dois/{doi}", body)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._fail(response, f"the update of {doi}")
        return self._data(response, f"the update of {doi}")


def _state(data: dict[str, Any]) -> str:
    return str(data["attributes"].get("state") or "")


class DataCiteProvider:
    """DOIs under ``prefix``, minted here and registered with DataCite."""

    name = "datacite"

    def __init__(self, prefix: str, client: DataCiteClient, namespace: str = "matcloud") -> None:
        self.prefix = prefix
        self.client = client
        self.namespace = namespace

    def mint(self, target_id: str) -> str:
        return f"{self.prefix}/{self.namespace}.{target_id}"

    def sync(self, request: PidSync) -> None:
        if not request.remote_state:
            self._draft(request)
        if request.status == RESERVED:
            return
        if request.status not in (REGISTERED, TOMBSTONE):
            raise PidError(
                f"{request.doi} has an unknown status {request.status!r}.", permanent=True
            )
        attributes = self._metadata(request)
        if request.status == REGISTERED and request.remote_state != "findable":
            attributes["event"] = "publish"
        elif request.status == TOMBSTONE and request.remote_state == "findable":
            attributes["event"] = "hide"
        elif request.status == TOMBSTONE and request.remote_state == "draft":
            attributes["event"] = "register"  # a draft cannot be hidden, but it can resolve
        data = self.client.update(request.doi, attributes)
        if data is None:  # DataCite lost it (a draft deleted in Fabrica): start again
            request.remote_state = ""
            self._draft(request)
            data = self.client.update(request.doi, attributes)
            if data is None:
                raise PidError(f"DataCite does not know {request.doi} right after creating it.")
        request.remote_state = _state(data)

    def _draft(self, request: PidSync) -> None:
        created = self.client.create(request.doi, {})
        if created is None:  # ours already: an earlier answer was lost on the way
            existing = self.client.get(request.doi)
            if existing is None:
                raise PidError(f"DataCite says {request.doi} is taken but cannot show it.")
            request.remote_state = _state(existing) or "draft"
        else:
            request.remote_state = _state(created) or "draft"

    @staticmethod
    def _metadata(request: PidSync) -> dict[str, Any]:
        """Both forms of the metadata: the JSON attributes and the same as base64 XML."""
        attributes = {
            key: value
            for key, value in request.attributes.items()
            if key not in ("doi", "prefix", "suffix", "url", "event", "xml")
        }
        attributes["url"] = request.url
        if request.xml:
            attributes["xml"] = base64.b64encode(request.xml.encode("utf-8")).decode("ascii")
        return attributes


__all__ = ["TEST_API", "DataCiteClient", "DataCiteProvider"]
