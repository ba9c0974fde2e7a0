"""The OPTIMADE service: entry listings, single entries, info, links and versions, as JSON
documents (the web layer only routes and renders them).

Structures are read from the structure index in the main database; only public rows are ever
served (``is_public``), older record versions included (``_matcloud_is_latest`` tells them
apart). References come from an in-memory store of the records' bibliography
(:mod:`matcloud.optimade.references`). Every failure is an ``optimade`` HTTP exception carrying
its status; the web layer turns it into an error document.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from urllib.parse import quote

from lark import Token, Tree
from sqlalchemy import ColumnElement, Connection, RowMapping
from sqlalchemy.orm import Session

from matcloud.core.db import Database
from matcloud.optimade import introspection
from matcloud.optimade.documents import (
    API_VERSION,
    MAJOR,
    Provider,
    RequestInfo,
    known_provider_prefixes,
    meta,
    resource_url,
)
from matcloud.optimade.errors import BadRequest, NotFound, QueryWarning, VersionNotSupported
from matcloud.optimade.filterparse import FilterParser
from matcloud.optimade.introspection import ENTRY_TYPES
from matcloud.optimade.pages import Filter, fetch_page
from matcloud.optimade.params import EntryQuery, parse_query
from matcloud.optimade.planning import PlannerStatistics, ValueFrequencies, too_complex
from matcloud.optimade.properties import structures_schema, timestamp
from matcloud.optimade.query import base_select
from matcloud.optimade.references import (
    Bibliography,
    Citations,
    Reference,
    ReferenceStore,
    references_schema,
)
from matcloud.optimade.schema import EntrySchema
from matcloud.optimade.transformer import Compiled, compile_filter
from matcloud.settings import Settings

log = logging.getLogger(__name__)

REFERENCE_FIELDS = ("immutable_id", "last_modified", "authors", "doi", "url", "title", "year",
                    "publisher", "bib_type", "note")  # fmt: skip
COMPILED_FILTERS = 512
Connect = Callable[[], AbstractContextManager[Session | Connection]]


class OptimadeService:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        prefix = settings.optimade_provider_prefix
        self.site_url = settings.base_url.rstrip("/")
        self.root = f"{self.site_url}/optimade"
        self.provider = Provider(
            prefix=prefix,
            name=settings.optimade_provider_name or settings.site_name,
            description=settings.optimade_provider_description,
            homepage=settings.optimade_provider_homepage or self.site_url,
            site_url=self.site_url,
            maintainer=settings.admin_email,
        )
        dialect = "sqlite" if db.is_sqlite else "postgresql"
        self.schemas: dict[str, EntrySchema] = {
            "structures": structures_schema(settings.base_url, prefix, dialect),
            "references": references_schema(prefix),
        }
        self.references = ReferenceStore(db, settings.base_url, settings.site_name)
        self.citations = Citations(settings.base_url, settings.site_name)
        self.parser = FilterParser()
        self.known_prefixes = known_provider_prefixes()
        self.frequencies = ValueFrequencies(db)
        self.statistics = PlannerStatistics(db)
        self._compiled: OrderedDict[tuple[Any, ...], Compiled] = OrderedDict()
        self._trees: OrderedDict[str, Tree[Token]] = OrderedDict()
        self._compiled_lock = threading.Lock()

    def close(self) -> None:
        self.references.close()

    # -- entries --------------------------------------------------------------------------------

    def entries(self, entry_type: str, info: RequestInfo) -> dict[str, Any]:
        """An entry listing: ``/structures?filter=...``."""
        schema = self.schemas[entry_type]
        query = parse_query(info.items)
        warnings = [*query.warnings, *self._hint(query, info)]
        condition = self._compiler(schema, query.filter, warnings)
        fields = self._fields(schema, query.response_fields, warnings)
        with self._connect(entry_type)() as db, too_complex():
            page = fetch_page(db, schema, query, condition, self._columns(schema, fields))
            cited = self._cited(db, schema, page.rows, query)
        data = [self._resource(schema, row, fields, info, cited) for row in page.rows]
        links: dict[str, Any] = {
            "next": info.page_url(page.next) if page.next else None,
            "prev": info.page_url(page.prev) if page.prev else None,
        }
        body: dict[str, Any] = {
            "data": data,
            "meta": meta(
                self.provider,
                info,
                more=page.more_data_available,
                returned=page.data_returned,
                available=page.data_available,
                warnings=warnings,
            ),
            "links": links,
        }
        if cited is not None and "references" in query.include:
            body["included"] = self._included(data, cited)
        return body

    def entry(self, entry_type: str, entry_id: str, info: RequestInfo) -> dict[str, Any]:
        """A single entry: ``/structures/<id>``."""
        schema = self.schemas[entry_type]
        query = parse_query(info.items, single=True)
        warnings = [*query.warnings, *self._hint(query, info)]
        fields = self._fields(schema, query.response_fields, warnings)
        columns = [schema.columns[name] for name in self._columns(schema, fields)]
        if "\x00" in entry_id or len(entry_id) > 1000:  # no such id; PostgreSQL refuses NUL
            raise NotFound(f"There is no {entry_type} entry with id {entry_id[:100]!r}.")
        with self._connect(entry_type)() as db:
            row = db.execute(base_select(schema, schema.id == entry_id, columns)).mappings().first()
            if row is None:
                raise NotFound(f"There is no {entry_type} entry with id {entry_id!r}.")
            cited = self._cited(db, schema, [row], query)
        data = self._resource(schema, row, fields, info, cited)
        body: dict[str, Any] = {
            "data": data,
            "meta": meta(self.provider, info, returned=1, warnings=warnings),
            "links": {"self": resource_url(info, entry_type, entry_id)},
        }
        if cited is not None and "references" in query.include:
            body["included"] = self._included([data], cited)
        return body

    def _connect(self, entry_type: str) -> Connect:
        if entry_type == "references":
            return self.references.connect
        return self._read

    @contextmanager
    def _read(self) -> Iterator[Session]:
        """A read session whose connection has the planner statistics loaded."""
        with self.db.read() as session:
            self.statistics.prepare(session)
            yield session

    def _hint(self, query: EntryQuery, info: RequestInfo) -> list[QueryWarning]:
        if query.api_hint is None:
            return []
        major, minor = query.api_hint
        if str(major) == MAJOR:
            too_new = minor is not None and minor > int(API_VERSION.split(".")[1])
            if not too_new:
                return []
            return [QueryWarning("QueryParamNotUsed", f"This server speaks v{API_VERSION}.")]
        if info.versioned:
            return [
                QueryWarning(
                    "QueryParamNotUsed",
                    f"api_hint v{major} ignored: this URL serves v{API_VERSION}.",
                )
            ]
        raise VersionNotSupported(
            f"api_hint asks for v{major}; this server speaks v{MAJOR} only ({self.root}/v{MAJOR}).",
            "api_hint",
        )

    def _compiler(
        self, schema: EntrySchema, text: str | None, warnings: list[QueryWarning]
    ) -> Filter:
        """The filter, compiled on demand in the style asked for. Compilations are kept (LRU):
        paging through results repeats the same filter, and SQLAlchemy expressions are
        immutable, so one serves every thread."""
        if text is None:
            return Filter(lambda style: None)
        reported = False

        def condition(style: str) -> ColumnElement[Any] | None:
            nonlocal reported
            compiled = self._compile(schema, text, style)
            if not reported:
                warnings.extend(compiled.warnings)
                reported = True
            return compiled.expression

        condition("exists")  # errors surface before any query runs (either style has them)
        return Filter(condition, lambda: self._compile(schema, text, "exists").driver)

    def _compile(self, schema: EntrySchema, text: str, style: str) -> Compiled:
        generation = self.frequencies.generation if schema.type == "structures" else 0
        key = (schema.type, text, style, generation)
        with self._compiled_lock:
            if key in self._compiled:
                self._compiled.move_to_end(key)
                return self._compiled[key]
        tree = self._tree(text)
        frequencies = self.frequencies if schema.type == "structures" else None
        compiled = compile_filter(
            schema, tree, text, self.known_prefixes, style=style, frequencies=frequencies
        )
        with self._compiled_lock:
            self._compiled[key] = compiled
            while len(self._compiled) > COMPILED_FILTERS:
                self._compiled.popitem(last=False)
        return compiled

    def _tree(self, text: str) -> Tree[Token]:
        """The parse tree of a filter, kept (LRU) for the second style a page compiles: the
        transformer builds new expressions and leaves the tree as it was."""
        with self._compiled_lock:
            tree = self._trees.get(text)
            if tree is not None:
                self._trees.move_to_end(text)
                return tree
        tree = self.parser.parse(text)
        with self._compiled_lock:
            self._trees[text] = tree
            while len(self._trees) > COMPILED_FILTERS:
                self._trees.popitem(last=False)
        return tree

    def _fields(
        self, schema: EntrySchema, requested: list[str] | None, warnings: list[QueryWarning]
    ) -> list[str]:
        """The attributes to return: the listed ones by default, else exactly those asked for
        (``id`` and ``type`` are top-level members, always present)."""
        if requested is None:
            return [p.name for p in schema.listed() if p.name not in ("id", "type")]
        fields: list[str] = []
        for name in dict.fromkeys(requested):
            if name in ("id", "type"):
                continue
            if name not in schema.props:
                if not name.startswith("_") or name.startswith(f"_{schema.prefix}_"):
                    raise BadRequest(
                        f"response_fields: {name!r} is not a property of {schema.type} (see "
                        f"/info/{schema.type}).",
                        "response_fields",
                    )
                warnings.append(
                    QueryWarning(
                        "UnknownProviderProperty",
                        f"{name} belongs to another provider: returned as null.",
                    )
                )
            fields.append(name)
        return fields

    @staticmethod
    def _columns(schema: EntrySchema, fields: list[str]) -> list[str]:
        needed = dict.fromkeys(schema.base_columns)
        for name in fields:
            prop = schema.props.get(name)
            if prop is not None:
                needed.update(dict.fromkeys(prop.needs))
        return list(needed)

    def _resource(
        self,
        schema: EntrySchema,
        row: RowMapping,
        fields: list[str],
        info: RequestInfo,
        cited: Bibliography | None,
    ) -> dict[str, Any]:
        attributes: dict[str, Any] = {}
        for name in fields:
            prop = schema.props.get(name)
            attributes[name] = prop.render(row) if prop is not None and prop.render else None
        resource: dict[str, Any] = {
            "id": row["id"],
            "type": schema.type,
            "attributes": attributes,
            "links": {"self": resource_url(info, schema.type, row["id"])},
        }
        if cited is not None:
            refs = cited.by_version.get(row["version_id"], [])
            if refs:
                resource["relationships"] = {
                    "references": {
                        "data": [
                            {
                                "type": "references",
                                "id": c.reference.id,
                                "meta": {"description": c.description},
                            }
                            for c in refs
                        ]
                    }
                }
        return resource

    def _cited(
        self,
        db: Session | Connection,
        schema: EntrySchema,
        rows: list[RowMapping],
        query: EntryQuery,
    ) -> Bibliography | None:
        """The references of the structures on the page (read from their versions)."""
        if schema.type != "structures" or not isinstance(db, Session):
            return None
        return self.citations.of(db, [row["version_id"] for row in rows])

    def _included(self, data: list[dict[str, Any]], cited: Bibliography) -> list[dict[str, Any]]:
        ids = dict.fromkeys(
            link["id"]
            for entry in data
            for link in entry.get("relationships", {}).get("references", {}).get("data", [])
        )
        return [self._reference_resource(cited.references[i]) for i in ids]

    def _reference_resource(self, reference: Reference) -> dict[str, Any]:
        values = {
            **reference.attributes,
            "immutable_id": reference.id,
            "last_modified": timestamp(reference.last_modified),
        }
        return {
            "id": reference.id,
            "type": "references",
            "attributes": {name: values.get(name) for name in REFERENCE_FIELDS},
            "links": {"self": f"{self.root}/v{MAJOR}/references/{quote(reference.id, safe='')}"},
        }

    # -- introspection ---------------------------------------------------------------------

    # -- introspection (documents built in :mod:`.introspection`) ---------------------------

    def info(self, info: RequestInfo) -> dict[str, Any]:
        return introspection.info(self, info)

    def entry_info(self, entry_type: str, info: RequestInfo) -> dict[str, Any]:
        return introspection.entry_info(self, entry_type, info)

    def links(self, info: RequestInfo) -> dict[str, Any]:
        return introspection.links(self, info)

    def index_info(self, info: RequestInfo) -> dict[str, Any]:
        return introspection.index_info(self, info)

    @staticmethod
    def versions() -> str:
        return f"version\n{MAJOR}\n"


__all__ = ["ENTRY_TYPES", "OptimadeService", "known_provider_prefixes"]
