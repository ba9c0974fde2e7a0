"""A local HTTP server that behaves as DataCite's REST API documentation says, for the tests.

DataCite cannot be reached from here, so this stands in for ``api.test.datacite.org``: HTTP Basic
auth with a repository's id and password, JSON:API bodies (``application/vnd.api+json``), the
prefixes the repository may mint under, the DOI states ``draft`` / ``registered`` / ``findable``
and the events ``publish`` / ``register`` / ``hide`` between them, and the same error bodies
(``{"errors": [{"status", "source", "title"}]}``) and codes: 401 bad credentials, 403 a prefix of
another repository, 404 unknown DOI, 415 wrong media type, 422 invalid payload or "This DOI has
already been taken".

Metadata is validated as DataCite does before a DOI may leave the draft state: the required
properties in the JSON attributes, and the base64 ``xml`` attribute against the kernel-4.7 XSD
(``../shared/schemas``), whose identifier must be the DOI.

Faults for the tests: ``fail_next`` answers the next N requests with a status (503 by default),
``garbage_next`` with a 200 that is not JSON, ``drop_next`` performs the next request and then
closes the connection without answering (a lost response), ``delay`` sleeps before answering.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lxml import etree

MEDIA_TYPE = "application/vnd.api+json"
NS = "{http://datacite.org/schema/kernel-4}"
REQUIRED = ("creators", "titles", "publisher", "publicationYear", "types")
TRANSITIONS = {
    ("draft", "publish"): "findable",
    ("draft", "register"): "registered",
    ("registered", "publish"): "findable",
    ("findable", "hide"): "registered",
    ("registered", "register"): "registered",
    ("findable", "publish"): "findable",
}


class Refusal(Exception):
    def __init__(self, status: int, title: str, source: str | None = None) -> None:
        super().__init__(title)
        self.status, self.title, self.source = status, title, source


@dataclass
class FakeDataCite:
    """The server's state, shared by its handler threads (``.dois`` is what DataCite holds)."""

    username: str = "MATCLOUD.TEST"
    password: str = "s3cret"
    prefixes: tuple[str, ...] = ("10.99999",)
    xsd: etree.XMLSchema | None = None
    dois: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)
    fail_next: int = 0
    fail_status: int = 503
    garbage_next: int = 0
    drop_next: int = 0
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- the API ---------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Any, raw: bytes) -> tuple[int, Any]:
        self._authenticate(headers.get("Authorization", ""))
        body = None
        if method in ("POST", "PUT"):
            if headers.get("Content-Type", "").split(";")[0].strip() != MEDIA_TYPE:
                raise Refusal(415, f"The content type is not recognized, use {MEDIA_TYPE}.")
            try:
                body = json.loads(raw or b"null")
                data = body["data"]
                attributes = dict(data.get("attributes") or {})
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise Refusal(
                    400, "You need to provide a payload following the JSONAPI spec"
                ) from exc
            if data.get("type") != "dois":
                raise Refusal(422, "Type must be dois.", "type")
        self.requests.append((method, path, body))
        match = re.fullmatch(r"/dois/(.+)", path)
        if method == "POST" and path == "/dois":
            return 201, self._create(attributes)
        if match and method == "PUT":
            return 200, self._update(match.group(1).lower(), attributes)
        if match and method == "GET":
            return 200, self._show(match.group(1).lower())
        if match and method == "DELETE":
            doi = match.group(1).lower()
            if self._get(doi)["state"] != "draft":
                raise Refusal(405, "Method not allowed: only draft DOIs can be deleted.")
            del self.dois[doi]
            return 204, None
        raise Refusal(404, "The resource you are looking for doesn't exist.")

    def _authenticate(self, header: str) -> None:
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        if header != f"Basic {expected}":
            raise Refusal(401, "Bad credentials.")

    def _get(self, doi: str) -> dict[str, Any]:
        if doi not in self.dois:
            raise Refusal(404, "The resource you are looking for doesn't exist.")
        return self.dois[doi]

    def _create(self, attributes: dict[str, Any]) -> dict[str, Any]:
        doi = str(attributes.get("doi") or "").lower()
        if not doi or "/" not in doi:
            raise Refusal(422, "Can't be blank", "doi")
        if doi.split("/", 1)[0] not in self.prefixes:
            raise Refusal(403, "You are not authorized to access this resource.")
        if doi in self.dois:
            raise Refusal(422, "This DOI has already been taken", "doi")
        self.dois[doi] = {"doi": doi, "state": "draft", "attributes": {}, "url": None, "xml": None}
        return self._apply(doi, attributes)

    def _update(self, doi: str, attributes: dict[str, Any]) -> dict[str, Any]:
        self._get(doi)
        return self._apply(doi, attributes)

    def _apply(self, doi: str, attributes: dict[str, Any]) -> dict[str, Any]:
        entry = self.dois[doi]
        event = attributes.pop("event", None)
        xml = attributes.pop("xml", None)
        if "url" in attributes:
            url = attributes.pop("url")
            if url is not None and not re.match(r"https?://[^\s/]+", str(url)):
                raise Refusal(422, "Url is not a valid URL", "url")
            entry["url"] = url
        if xml is not None:
            entry["xml"] = self._validate_xml(doi, xml)
        merged = {**entry["attributes"], **{k: v for k, v in attributes.items() if k != "doi"}}
        if event is not None:
            target = TRANSITIONS.get((entry["state"], event))
            if target is None:
                raise Refusal(422, f"Can't {event} a DOI in state {entry['state']}", "event")
            if target != "draft":
                self._require_metadata(merged, entry)
            entry["state"] = target
        elif entry["state"] != "draft" and attributes:
            self._require_metadata(merged, entry)
        entry["attributes"] = merged
        entry["updated"] = time.time()
        return self._show(doi)

    def _validate_xml(self, doi: str, value: Any) -> str:
        try:
            text = base64.b64decode(str(value), validate=True).decode("utf-8")
            document = etree.fromstring(text.encode("utf-8"))
        except (binascii.Error, UnicodeDecodeError, etree.XMLSyntaxError) as exc:
            raise Refusal(422, f"The xml attribute is not base64 XML: {exc}", "xml") from exc
        if self.xsd is not None and not self.xsd.validate(document):
            errors = "; ".join(str(e.message) for e in list(self.xsd.error_log)[:3])
            raise Refusal(422, f"Metadata is not valid against the schema: {errors}", "xml")
        identifier = document.find(f"{NS}identifier")
        if identifier is None or (identifier.text or "").lower() != doi:
            raise Refusal(422, "The identifier in the XML is not the DOI", "xml")
        return text

    @staticmethod
    def _require_metadata(attributes: dict[str, Any], entry: dict[str, Any]) -> None:
        if entry.get("url") is None:
            raise Refusal(422, "Url can't be blank", "url")
        for name in REQUIRED:
            if not attributes.get(name) and entry.get("xml") is None:
                raise Refusal(422, f"{name} can't be blank", name)
        types = attributes.get("types") or {}
        if entry.get("xml") is None and not types.get("resourceTypeGeneral"):
            raise Refusal(422, "Resource type general can't be blank", "types")
        for creator in attributes.get("creators") or []:
            if not creator.get("name"):
                raise Refusal(422, "Creator name can't be blank", "creators")

    def _show(self, doi: str) -> dict[str, Any]:
        entry = self._get(doi)
        attributes = {**entry["attributes"], "doi": doi, "state": entry["state"]}
        attributes["url"] = entry["url"]
        prefix, suffix = doi.split("/", 1)
        attributes.update(prefix=prefix, suffix=suffix, isActive=entry["state"] == "findable")
        return {"data": {"id": doi, "type": "dois", "attributes": attributes}}

    # -- the HTTP server -------------------------------------------------------------------

    def serve(self) -> tuple[ThreadingHTTPServer, str]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _run(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if fake.delay:
                    time.sleep(fake.delay)
                with fake.lock:
                    if fake.fail_next:
                        fake.fail_next -= 1
                        self._send(fake.fail_status, {"errors": [{"title": "Service unavailable"}]})
                        return
                    if fake.garbage_next:
                        fake.garbage_next -= 1
                        self._send_raw(200, b"<html>maintenance</html>", "text/html")
                        return
                    try:
                        status, body = fake.handle(self.command, self.path, self.headers, raw)
                    except Refusal as refusal:
                        error = {"status": str(refusal.status), "title": refusal.title}
                        if refusal.source:
                            error["source"] = refusal.source
                        status, body = refusal.status, {"errors": [error]}
                    if fake.drop_next:
                        fake.drop_next -= 1
                        self.close_connection = True
                        self.connection.close()
                        return
                self._send(status, body)

            def _send(self, status: int, body: Any) -> None:
                raw = b"" if body is None else json.dumps(body).encode()
                self._send_raw(status, raw, MEDIA_TYPE)

            def _send_raw(self, status: int, raw: bytes, media_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", media_type)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_DELETE = _run

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}"


def kernel_47(shared: Path) -> etree.XMLSchema:
    """The DataCite kernel-4.7 XSD from ``../shared/schemas`` (never fetched from the network)."""
    parser = etree.XMLParser(no_network=True)
    xsd = shared / "schemas" / "datacite" / "kernel-4.7" / "metadata.xsd"
    return etree.XMLSchema(etree.parse(str(xsd), parser))
