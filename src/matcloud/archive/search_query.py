"""The search box: what a query string means, and what a valid search request is.

Nothing here touches the database. Text is tokenised once, here, for both the indexed documents
and the queries, so SQLite (FTS5) and PostgreSQL (tsvector) index and look up exactly the same
tokens and give the same answers: letters and digits folded to lower case without diacritics
(``Müller`` finds ``Muller``), everything else a separator (``10.1234/abc.def`` is the tokens
``10 1234 abc def``, which a phrase search finds in order), and English plurals folded by
Harman's conservative S-stemmer (``phonons`` finds ``phonon``) on alphabetic words only, so
that names, codes and identifiers keep their exact form.

The query language never fails: whatever cannot be read as syntax is read as text, and each
such reinterpretation is reported in :attr:`ParsedQuery.errors` so the page can say so.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, cast, get_args

from matcloud.core.errors import FieldError, ValidationFailed

Sort = Literal["relevance", "newest", "oldest", "title"]
SORTS: tuple[Sort, ...] = get_args(Sort)
#: Facet names, as accepted in filters and returned in aggregations.
FACETS = ("keywords", "licence", "year", "has_aiida", "file_type")
MAX_SIZE = 100
#: Deepest result reachable by paging (page x size), as Elasticsearch/InvenioRDM do: deep
#: offsets cost a full sort each, and harvesting has OAI-PMH.
MAX_RESULT_WINDOW = 10_000
MAX_FILTER_VALUES = 50
MAX_QUERY_CHARS = 1_000
MAX_TERMS = 32
MAX_TOKEN_CHARS = 64
#: Searchable fields of the ``field:`` prefixes, mapped to the indexed column they search.
FIELDS = {
    "title": "title",
    "creator": "creators",
    "creators": "creators",
    "author": "creators",
    "keyword": "keywords",
    "keywords": "keywords",
    "subject": "keywords",
    "doi": "identifiers",
}
_WORD = re.compile(r"[^\W_]+")
_LEAD = re.compile(r"-*(?:[A-Za-z_]+:)?")
_FIELD = re.compile(r"^([A-Za-z_]+):(.*)$", re.DOTALL)
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Dropped from unquoted query words (never from the index, so phrases keep them). Chemical
#: symbols that are also English words (In, As, At, Be, No) stay when capitalised.
_STOPWORDS = frozenset(
    "a an and are as at be by for from in into is it its of on or that the this these those "
    "to via was were with".split()
)
_ELEMENTS = frozenset({"In", "As", "At", "Be", "No"})


def stem(token: str) -> str:
    """Harman's S-stemmer (1991): folds English plurals, leaves every other word alone."""
    if len(token) < 4 or not token.isalpha():
        return token
    if token.endswith("ies") and not token.endswith(("eies", "aies")):
        return token[:-3] + "y"
    if token.endswith("es") and not token.endswith(("aes", "ees", "oes")):
        return token[:-1]
    if token.endswith("s") and not token.endswith(("us", "ss")):
        return token[:-1]
    return token


def words(text: str) -> list[str]:
    """The unstemmed tokens of ``text``: folded to lower case, diacritics and separators
    dropped, over-long tokens (base64, hashes) skipped as they are never searched for."""
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return [w for w in _WORD.findall(folded) if len(w) <= MAX_TOKEN_CHARS]


def tokens(text: str) -> list[str]:
    """The tokens indexed for ``text``, and searched for a query word."""
    return [stem(w) for w in words(text)]


@dataclass(frozen=True)
class Term:
    """One searched word or phrase: its tokens in order, optionally restricted to a column."""

    tokens: tuple[str, ...]
    column: str | None = None
    prefix: bool = False
    quoted: bool = False
    stopword: bool = False
    words: str = ""  # as read, before stemming: what a notice shows

    def display(self) -> str:
        name = next((k for k, v in FIELDS.items() if v == self.column), None)
        text = self.words or " ".join(self.tokens)
        shown = f'"{text}"' if self.quoted or len(self.tokens) > 1 else text
        return f"{name + ':' if name else ''}{shown}{'*' if self.prefix else ''}"


@dataclass(frozen=True)
class ParsedQuery:
    """``groups`` are ANDed, the terms inside a group ORed; ``excluded`` terms must not match."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()
    errors: tuple[str, ...] = ()

    def display(self) -> str:
        parts = [" OR ".join(t.display() for t in group) for group in self.groups]
        parts += ["-" + t.display() for t in self.excluded]
        return " ".join(parts)


@dataclass
class _Item:
    term: Term
    negated: bool


@dataclass
class _Chunk:
    """A whitespace-separated piece of the query; a quoted phrase keeps the modifiers written
    right before it (``-``, ``title:``) in ``lead``."""

    text: str
    quoted: bool = False
    lead: str = ""
    prefix: bool = False


def _term(
    raw: str, column: str | None, *, quoted: bool, prefix: bool, errors: list[str]
) -> Term | None:
    prefix = prefix or (not quoted and raw.endswith("*"))
    doi = _DOI.search(raw)
    if doi and not any(c.isspace() for c in raw):  # a DOI, bare or as a URL: its tokens in order
        raw = doi.group(0)
    found = words(raw)
    if not found:
        return None
    if len(found) == 1 and not quoted and column is None and found[0] in _STOPWORDS:
        stop = raw.strip("*+-()[]{}") not in _ELEMENTS
    else:
        stop = False
    toks = [stem(w) for w in found]
    if prefix:  # what the typed prefix and its stem share: "lucas*" finds Lucas (indexed "luca")
        toks[-1] = os.path.commonprefix([found[-1], toks[-1]])
    if len(toks) > MAX_TERMS:
        errors.append(f"A term was cut to its first {MAX_TERMS} words.")
        toks = toks[:MAX_TERMS]
    return Term(tuple(toks), column, prefix, quoted, stop, " ".join(found[: len(toks)]))


def _lex(q: str, errors: list[str]) -> list[_Chunk]:
    chunks: list[_Chunk] = []
    i, n = 0, len(q)
    while i < n:
        if q[i].isspace():
            i += 1
            continue
        j = i
        while j < n and not q[j].isspace() and q[j] != '"':
            j += 1
        word = q[i:j]
        if j < n and q[j] == '"':
            end = q.find('"', j + 1)
            if end < 0:
                errors.append("A quote was not closed; the phrase runs to the end.")
                end = n
            lead = word if _LEAD.fullmatch(word) else ""
            if word and not lead:
                chunks.append(_Chunk(word))
            prefix = q.startswith("*", end + 1)
            chunks.append(_Chunk(q[j + 1 : end], quoted=True, lead=lead, prefix=prefix))
            i = end + 1 + prefix
        else:
            chunks.append(_Chunk(word))
            i = j
    return chunks


def _items(q: str, errors: list[str]) -> list[_Item | str]:
    """The query as terms and ``OR`` markers (``NOT x`` is read as ``-x``; ``AND`` is implied;
    a ``title:`` standing alone applies to what follows it)."""
    out: list[_Item | str] = []
    ignored: list[str] = []
    negate_next = False
    column_next: str | None = None
    for chunk in _lex(q, errors):
        text = chunk.text
        if not chunk.quoted and text in ("OR", "|", "||"):
            out.append("OR")
            continue
        if not chunk.quoted and text in ("AND", "&&", "+"):
            continue
        if not chunk.quoted and text == "NOT":
            negate_next = True
            continue
        negated, negate_next = negate_next, False
        column, column_next = column_next, None
        modifiers = chunk.lead if chunk.quoted else text
        stripped = modifiers.lstrip("-")
        negated = negated or (len(stripped) < len(modifiers) and (chunk.quoted or bool(stripped)))
        if not chunk.quoted:
            text = stripped or text
        match = _FIELD.match(stripped)
        if match and match.group(1).lower() in FIELDS:
            column = FIELDS[match.group(1).lower()]
            if not chunk.quoted:
                text = match.group(2)
                if not text:
                    column_next, negate_next = column, negated
                    continue
        elif match and chunk.quoted:
            errors.append(f"“{match.group(1)}:” is not a searchable field; it was ignored.")
        elif match and not _DOI.search(text):
            errors.append(f"“{match.group(1)}:” is not a searchable field; searched as text.")
        if not chunk.quoted and any(b in text for b in "()[]{}"):
            errors.append("Brackets are not supported; they were ignored.")
        term = _term(text, column, quoted=chunk.quoted, prefix=chunk.prefix, errors=errors)
        if term is None:
            if not chunk.quoted and text.strip("*-+"):
                ignored.append(text if len(text) <= 20 else text[:20] + "…")
            continue
        out.append(_Item(term, negated))
    if column_next is not None:
        errors.append("A field name was followed by nothing to search for.")
    if ignored:
        errors.append("Ignored, as there is nothing in it to search for: " + " ".join(ignored))
    return out


def parse(q: str) -> ParsedQuery:
    """Read a search box: words (all must match), ``"phrases"``, ``a OR b`` (binds tighter than
    the implied AND: ``dft OR gw silicon`` is ``(dft OR gw) AND silicon``), ``-excluded``,
    ``prefix*`` and ``title:`` / ``creator:`` / ``keyword:`` / ``doi:`` restrictions."""
    errors: list[str] = []
    if len(q) > MAX_QUERY_CHARS:
        errors.append(f"Only the first {MAX_QUERY_CHARS} characters were searched.")
        q = q[:MAX_QUERY_CHARS]
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = False
    last_positive = False
    for item in _items(q, errors):
        if isinstance(item, str):
            if last_positive and not pending_or:
                pending_or = True
            else:
                errors.append("An OR without a term on both sides was ignored.")
            continue
        if item.negated:
            excluded.append(item.term)
            if pending_or:
                errors.append("An OR without a term on both sides was ignored.")
            pending_or = last_positive = False
            continue
        if pending_or and groups:
            groups[-1].append(item.term)
        else:
            groups.append([item.term])
        pending_or, last_positive = False, True
    if pending_or:
        errors.append("An OR without a term on both sides was ignored.")
    if any(not t.stopword for g in groups for t in g):
        groups = [kept for g in groups if (kept := [t for t in g if not t.stopword])]
    terms = sum(len(g) for g in groups) + len(excluded)
    if terms > MAX_TERMS:
        errors.append(f"Only the first {MAX_TERMS} terms were searched.")
        groups, excluded = _cut(groups, excluded)
    return ParsedQuery(
        tuple(tuple(g) for g in groups), tuple(excluded), tuple(dict.fromkeys(errors))
    )


def _cut(groups: list[list[Term]], excluded: list[Term]) -> tuple[list[list[Term]], list[Term]]:
    kept: list[list[Term]] = []
    budget = MAX_TERMS
    for group in groups:
        if budget <= 0:
            break
        kept.append(group[:budget])
        budget -= len(kept[-1])
    return kept, excluded[: max(budget, 0)]


@dataclass(frozen=True)
class SearchQuery:
    """A validated search request. Construct it with :meth:`from_params` from user input;
    constructing it directly validates too (and raises :class:`ValidationFailed`)."""

    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: Sort | None = None
    page: int = 1
    size: int = 20

    def __post_init__(self) -> None:
        problems = _problems(self.sort, self.page, self.size, self.filters)
        if problems:
            raise ValidationFailed("The search request is not valid.", problems)

    @classmethod
    def from_params(
        cls,
        q: str | None = None,
        sort: str | None = None,
        page: int | str | None = None,
        size: int | str | None = None,
        filters: Mapping[str, Sequence[str]] | None = None,
    ) -> SearchQuery:
        """From query-string values (``None`` or ``""`` means the default); every problem is
        reported at once, each naming its field (``sort``, ``page``, ``size``, ``filters.X``)."""
        problems: list[FieldError] = []
        page_n = _integer("page", page, 1, problems)
        size_n = _integer("size", size, 20, problems)
        clean: dict[str, list[str]] = {}
        for name, values in (filters or {}).items():
            kept = [v.strip() for v in ([values] if isinstance(values, str) else values)]
            if kept := list(dict.fromkeys(v for v in kept if v)):
                clean[name] = kept
        chosen = sort or None
        problems += _problems(chosen, page_n, size_n, clean)
        if problems:
            raise ValidationFailed("The search request is not valid.", problems)
        return cls(q or "", clean, cast(Sort | None, chosen), page_n, size_n)

    @property
    def parsed(self) -> ParsedQuery:
        return parse(self.q)

    def effective_sort(self, parsed: ParsedQuery) -> Sort:
        """Relevance when there is something to rank by, else newest first."""
        if self.sort is not None and (self.sort != "relevance" or parsed.groups):
            return self.sort
        return "relevance" if parsed.groups else "newest"


def _integer(name: str, value: int | str | None, default: int, out: list[FieldError]) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, int):
        return value
    try:
        return int(value.strip())
    except ValueError:
        out.append(FieldError(name, "must be a whole number"))
        return default


def _problems(
    sort: str | None, page: int, size: int, filters: Mapping[str, Sequence[str]]
) -> list[FieldError]:
    problems: list[FieldError] = []
    if sort is not None and sort not in SORTS:
        problems.append(FieldError("sort", f"must be one of {', '.join(SORTS)}"))
    if page < 1:
        problems.append(FieldError("page", "must be 1 or more"))
    if not 1 <= size <= MAX_SIZE:
        problems.append(FieldError("size", f"must be between 1 and {MAX_SIZE}"))
    elif page >= 1 and page * size > MAX_RESULT_WINDOW:
        problems.append(
            FieldError("page", f"page × size may not exceed {MAX_RESULT_WINDOW}; refine the search")
        )
    for name, values in filters.items():
        where = f"filters.{name}"
        if name not in FACETS:
            problems.append(FieldError(where, f"unknown facet; facets are {', '.join(FACETS)}"))
        elif len(values) > MAX_FILTER_VALUES:
            problems.append(FieldError(where, f"at most {MAX_FILTER_VALUES} values"))
        elif any(_CONTROL.search(v) or len(v) > 200 for v in values):
            problems.append(FieldError(where, "values are at most 200 printable characters"))
        elif name == "has_aiida" and not set(values) <= {"true", "false"}:
            problems.append(FieldError(where, "must be true or false"))
        elif name == "year" and not all(v.isascii() and v.isdigit() for v in values):
            problems.append(FieldError(where, "must be years, such as 2024"))
    return problems


__all__ = [
    "FACETS",
    "FIELDS",
    "MAX_RESULT_WINDOW",
    "MAX_SIZE",
    "SORTS",
    "ParsedQuery",
    "SearchQuery",
    "Sort",
    "Term",
    "parse",
    "stem",
    "tokens",
    "words",
]
