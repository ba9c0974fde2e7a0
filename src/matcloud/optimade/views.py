"""The structure search page for people: ``/optimade/search`` (and ``/optimade/search.json``).

The page is a client of our own OPTIMADE API: it hands the filter to
:meth:`OptimadeService.entries` exactly as ``/optimade/v1/structures?filter=...`` would, so what
a person finds here is what a script finds there (the page links to that URL, with a ``curl``
line), and the API's error messages are the ones shown under the filter box.

The filter box is the source of truth. The periodic table, the ``HAS ALL/ONLY/ANY`` mode and the
``nelements``/``nsites`` ranges only *write* a filter; with JavaScript they do it live in the
browser (``optimade-search.js``), without it they are submit buttons and fields of the same GET
form, and the server composes the filter and redirects to the plain ``?filter=...`` URL. Both
sides read a filter back into the picker with the same small grammar (:class:`Picker`), so a
filter the picker wrote can be re-opened in the picker and changed.

A bad filter never becomes a 500: OPTIMADE errors are shown inline with the API's status (400,
403, 501), the character at fault marked, a corrected filter when a usual slip (a bare formula,
lowercase keywords, single quotes) explains it, and example filters to start again from.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from matcloud.optimade.api import service_of
from matcloud.optimade.documents import MAJOR, RequestInfo
from matcloud.optimade.errors import OptimadeError
from matcloud.optimade.params import DEFAULT_PAGE_LIMIT
from matcloud.optimade.service import OptimadeService
from matcloud.optimade.transformer import compile_filter
from matcloud.web.rendering import Page, page, wants_json

log = logging.getLogger(__name__)

router = APIRouter(tags=["optimade pages"])

PATH = "/optimade/search"

# -- the periodic table ------------------------------------------------------------------------

ELEMENT_NAMES = (
    "Hydrogen Helium Lithium Beryllium Boron Carbon Nitrogen Oxygen Fluorine Neon Sodium "
    "Magnesium Aluminium Silicon Phosphorus Sulfur Chlorine Argon Potassium Calcium Scandium "
    "Titanium Vanadium Chromium Manganese Iron Cobalt Nickel Copper Zinc Gallium Germanium "
    "Arsenic Selenium Bromine Krypton Rubidium Strontium Yttrium Zirconium Niobium Molybdenum "
    "Technetium Ruthenium Rhodium Palladium Silver Cadmium Indium Tin Antimony Tellurium Iodine "
    "Xenon Caesium Barium Lanthanum Cerium Praseodymium Neodymium Promethium Samarium Europium "
    "Gadolinium Terbium Dysprosium Holmium Erbium Thulium Ytterbium Lutetium Hafnium Tantalum "
    "Tungsten Rhenium Osmium Iridium Platinum Gold Mercury Thallium Lead Bismuth Polonium "
    "Astatine Radon Francium Radium Actinium Thorium Protactinium Uranium Neptunium Plutonium "
    "Americium Curium Berkelium Californium Einsteinium Fermium Mendelevium Nobelium Lawrencium "
    "Rutherfordium Dubnium Seaborgium Bohrium Hassium Meitnerium Darmstadtium Roentgenium "
    "Copernicium Nihonium Flerovium Moscovium Livermorium Tennessine Oganesson"
).split()
ELEMENT_SYMBOLS = (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As "
    "Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd "
    "Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am "
    "Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og"
).split()
ELEMENTS = frozenset(ELEMENT_SYMBOLS)
#: First atomic number of each period (and one past the last element).
PERIOD_STARTS = (1, 3, 11, 19, 37, 55, 87, 119)


@dataclass(frozen=True)
class Cell:
    """One element's place in the 18-column table (rows 9 and 10 hold the f block)."""

    number: int
    symbol: str
    name: str
    row: int
    column: int
    block: str


def _place(number: int) -> tuple[int, int, str]:
    """(row, column, block) of an element in the standard layout."""
    period = next(p for p in range(1, 8) if number < PERIOD_STARTS[p])
    offset = number - PERIOD_STARTS[period - 1]  # 0-based within the period
    if period == 1:
        return 1, 1 if number == 1 else 18, "s"
    if period in (2, 3):
        column = offset + 1 if offset < 2 else offset + 11
        return period, column, "s" if offset < 2 else "p"
    if period in (4, 5):
        column = offset + 1
    elif offset < 2:
        column = offset + 1
    elif offset < 17:  # La-Lu, Ac-Lr: the f-block rows below the table
        return period + 3, offset + 1, "f"
    else:
        column = offset - 13
    block = "s" if column <= 2 else "d" if column <= 12 else "p"
    return period, column, "s" if number == 2 else block


PERIODIC_TABLE = tuple(
    Cell(number, symbol, name, *_place(number))
    for number, (symbol, name) in enumerate(zip(ELEMENT_SYMBOLS, ELEMENT_NAMES, strict=True), 1)
)

# -- the picker's filters ----------------------------------------------------------------------

MODES = {"all": "HAS ALL", "only": "HAS ONLY", "any": "HAS ANY"}
MODE_LABELS = {
    "all": "Has all of them (and maybe more)",
    "only": "Has only these",
    "any": "Has any of them",
}
RANGE_FIELDS = ("nelements", "nsites")
MAX_RANGE = 1_000_000
_AND = re.compile(r"\s+AND\s+")
_ELEMENTS_CLAUSE = re.compile(
    r'elements\s+HAS(?:\s+(ALL|ONLY|ANY))?\s+("[A-Za-z]{1,3}"(?:\s*,\s*"[A-Za-z]{1,3}")*)'
)
_RANGE_CLAUSE = re.compile(r"(nelements|nsites)\s*(>=|<=|=)\s*(\d{1,7})")
Range = tuple[int | None, int | None]


@dataclass(frozen=True)
class Picker:
    """What the periodic-table picker can say: elements with a mode, and two ranges. Its
    filters are ``elements HAS ALL "O","Si" AND nelements>=2 AND nsites<=20``: elements in
    alphabetical order (as OPTIMADE lists them), clauses in this order, joined by ``AND``."""

    elements: tuple[str, ...] = ()
    mode: str = "all"
    nelements: Range = (None, None)
    nsites: Range = (None, None)

    def filter(self) -> str:
        parts: list[str] = []
        if self.elements:
            values = ",".join(f'"{symbol}"' for symbol in sorted(self.elements))
            parts.append(f"elements {MODES[self.mode]} {values}")
        for name in RANGE_FIELDS:
            low, high = getattr(self, name)
            if low is not None and low == high:
                parts.append(f"{name}={low}")
                continue
            if low is not None:
                parts.append(f"{name}>={low}")
            if high is not None:
                parts.append(f"{name}<={high}")
        return " AND ".join(parts)

    def toggled(self, symbol: str) -> Picker:
        chosen = set(self.elements) ^ {symbol}
        return replace(self, elements=tuple(sorted(chosen)))

    @classmethod
    def parse(cls, text: str) -> Picker | None:
        """The picker state that writes ``text`` (up to spacing), or ``None`` when the filter
        says something the picker cannot (then the picker starts empty)."""
        text = text.strip()
        if not text:
            return cls()
        elements: tuple[str, ...] | None = None
        mode = "all"
        bounds: dict[str, list[int | None]] = {name: [None, None] for name in RANGE_FIELDS}
        for clause in _AND.split(text):
            if match := _ELEMENTS_CLAUSE.fullmatch(clause):
                symbols = tuple(re.findall(r'"([A-Za-z]{1,3})"', match.group(2)))
                if elements is not None or not set(symbols) <= ELEMENTS:
                    return None
                if match.group(1) is None and len(symbols) > 1:
                    return None  # HAS takes one value: not a filter the picker wrote
                if len(set(symbols)) != len(symbols):
                    return None
                elements, mode = tuple(sorted(symbols)), (match.group(1) or "ALL").lower()
            elif match := _RANGE_CLAUSE.fullmatch(clause):
                name, operator, value = match.group(1), match.group(2), int(match.group(3))
                slots = (0, 1) if operator == "=" else (0,) if operator == ">=" else (1,)
                for slot in slots:
                    if bounds[name][slot] is not None:
                        return None
                    bounds[name][slot] = value
            else:
                return None
        low_n, high_n = bounds["nelements"]
        low_s, high_s = bounds["nsites"]
        return cls(elements or (), mode, (low_n, high_n), (low_s, high_s))


def _number(text: str | None) -> int | None:
    text = (text or "").strip()
    if not re.fullmatch(r"\d{1,7}", text):
        return None
    return min(int(text), MAX_RANGE)


def picker_from_form(params: Mapping[str, str], elements: tuple[str, ...]) -> Picker:
    """The mode and ranges as the form's fields show them, with the given elements."""
    mode = params.get("mode", "all")
    return Picker(
        elements,
        mode if mode in MODES else "all",
        (_number(params.get("nelements_min")), _number(params.get("nelements_max"))),
        (_number(params.get("nsites_min")), _number(params.get("nsites_max"))),
    )


#: Fields only the picker's no-JavaScript form sends: their presence means "compose a filter".
PICKER_PARAMS = frozenset(
    {"toggle", "apply", "clear", "previous", "mode"}
    | {f"{name}_{end}" for name in RANGE_FIELDS for end in ("min", "max")}
)


def picked_filter(params: Mapping[str, str]) -> str | None:
    """The filter a no-JavaScript submission of the picker asks for (``None``: not one).

    An element button or "Write filter" composes the filter from the picker's fields, keeping
    the elements of the filter box (when it is one the picker can read). A plain submission
    (Enter) composes only when the picker's fields were changed and the filter box was not:
    ``previous`` holds the filter the page was rendered with, to tell which one the person
    edited.
    """
    if not PICKER_PARAMS & params.keys():
        return None
    text = params.get("filter", "")
    if "clear" in params:
        return ""
    base = Picker.parse(text) or Picker()
    form = picker_from_form(params, base.elements)
    toggle = params.get("toggle", "")
    if toggle in ELEMENTS:
        return form.toggled(toggle).filter()
    if "apply" in params:
        return form.filter()
    previous = params.get("previous")
    if previous is not None and text.strip() == previous.strip():
        shown = Picker.parse(previous) or Picker()
        if form != replace(shown, elements=form.elements):
            return form.filter()
    return text


# -- what a filter error means -----------------------------------------------------------------

EXAMPLES = (
    ('elements HAS ALL "Si","O"', "silicon and oxygen, maybe more"),
    ('chemical_formula_reduced="MoS2"', "one formula"),
    ("nelements=2 AND nsites<=8", "binaries, small cells"),
    ("space_group_it_number=227", "the diamond and spinel group"),
    ('elements HAS ANY "Fe","Co","Ni" AND _matcloud_is_latest=TRUE', "latest versions only"),
)
_POSITION = re.compile(r"at character (\d+)")
_FORMULA = re.compile(r"\s*(?:[A-Z][a-z]?\d*\s*)+")
_KEYWORDS = re.compile(
    r"\b(and|or|not|has|all|any|only|is|known|unknown|contains|starts|ends|with|length)\b",
    re.IGNORECASE,
)


def _outside_quotes(text: str, change: Any) -> str:
    """``change`` applied to the parts of a filter that are not inside double quotes."""
    parts = re.split(r'("(?:[^"\\]|\\.)*")', text)
    return "".join(part if i % 2 else change(part) for i, part in enumerate(parts))


def _formula_fixes(text: str) -> list[str]:
    """A bare formula (``SiO2``, ``Mo S2``) as the filters that find it."""
    if not _FORMULA.fullmatch(text):
        return []
    counts: dict[str, int] = {}
    for symbol, count in re.findall(r"([A-Z][a-z]?)(\d*)", text):
        if symbol not in ELEMENTS:
            return []
        counts[symbol] = counts.get(symbol, 0) + int(count or 1)
    if not counts or any(n == 0 for n in counts.values()):
        return []
    divisor = math.gcd(*counts.values())
    reduced = "".join(
        f"{symbol}{counts[symbol] // divisor if counts[symbol] // divisor > 1 else ''}"
        for symbol in sorted(counts)
    )
    values = ",".join(f'"{symbol}"' for symbol in sorted(counts))
    return [f'chemical_formula_reduced="{reduced}"', f"elements HAS ONLY {values}"]


def fixes(text: str) -> list[str]:
    """Corrected filters for the usual slips: a formula typed as is, lowercase keywords,
    single-quoted strings. The caller keeps only those that parse."""
    found = _formula_fixes(text.strip())
    quoted = re.sub(r"'([^'\"]*)'", r'"\1"', text)
    upper = _outside_quotes(quoted, lambda part: _KEYWORDS.sub(lambda m: m.group(1).upper(), part))
    if upper != text:
        found.append(upper)
    return found


@dataclass
class FilterError:
    status: int
    title: str
    detail: str
    parameter: str | None = None
    #: 1-based character of the filter the parser stopped at (``None``: not about a place).
    position: int | None = None
    fixes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "title": self.title,
            "detail": self.detail,
            "parameter": self.parameter,
            "position": self.position,
            "fixes": self.fixes,
        }


def describe(error: OptimadeError, text: str, service: OptimadeService) -> FilterError:
    """The API's error as the page shows it: its status and words, plus where in the filter
    (the parser names the character) and corrected filters that the API would accept."""
    status = int(error.status_code)
    detail = str(error.detail or error.title)
    parameter = getattr(error, "parameter", None)
    position: int | None = None
    corrected: list[str] = []
    if parameter == "filter" or (parameter is None and status == 400):
        if match := _POSITION.search(detail):
            position = int(match.group(1))
        elif "ends too early" in detail:
            position = len(text) + 1
        corrected = [candidate for candidate in fixes(text) if _compiles(service, candidate)]
    if status == 501:
        title = "This server does not support that part of OPTIMADE"
    elif status == 400:
        title = "This filter cannot be run"
    elif status == 403:
        title = "This search is beyond this server's limits"
    else:
        title = str(error.title)
    return FilterError(status, title, detail, parameter, position, list(dict.fromkeys(corrected)))


def _compiles(service: OptimadeService, text: str) -> bool:
    """Whether the API would accept the filter (parsed and compiled, not run)."""
    try:
        tree = service.parser.parse(text)
        compile_filter(service.schemas["structures"], tree, text, service.known_prefixes)
    except Exception:  # a suggestion is a courtesy: whatever fails, it is just not offered
        return False
    return True


def marked(text: str, position: int, window: int = 60) -> dict[str, str]:
    """The filter around ``position``, split so the template can mark the character."""
    index = max(0, position - 1)
    start = max(0, index - window)
    end = index + window
    return {
        "lead": "…" if start > 0 else "",
        "before": text[start:index],
        "at": text[index : index + 1],
        "after": text[index + 1 : end],
        "tail": "…" if end < len(text) else "",
    }


# -- results -----------------------------------------------------------------------------------

SORTS = (
    ("", "Entry id"),
    ("chemical_formula_reduced", "Formula (A → Z)"),
    ("nelements", "Fewest elements"),
    ("-nelements", "Most elements"),
    ("nsites", "Fewest sites"),
    ("-nsites", "Most sites"),
    ("space_group_it_number", "Space group number"),
    ("-last_modified", "Newest first"),
)
PAGE_LIMITS = (10, 20, 50, 100)
#: Structures bigger than this get no 3D button (a browser tab should not choke on a preview).
MAX_PREVIEW_SITES = 5000
DIMENSIONS = {
    0: ("0D", "Not periodic: a molecule or cluster"),
    1: ("1D", "Periodic in one direction: a wire or chain"),
    2: ("2D", "Periodic in two directions: a slab or monolayer"),
    3: ("3D", "Periodic in three directions: a bulk crystal"),
}
_SPACE_GROUP_TOKEN = re.compile(r"(-?)(\d)_?(\d?)(.*)")


def formula_parts(formula: str | None) -> list[dict[str, str]]:
    """``MoS2`` as ``[{symbol: Mo, count: ""}, {symbol: S, count: "2"}]`` (for subscripts)."""
    return [
        {"symbol": symbol, "count": count}
        for symbol, count in re.findall(r"([A-Z][a-z]*)(\d*)", formula or "")
    ]


def space_group_parts(symbol: str | None) -> list[dict[str, str]]:
    """A spaced Hermann-Mauguin symbol as typeset pieces: ``P 63/m m c`` gives P, 6, 3 as a
    subscript (a screw axis), /mmc; ``F d -3 m`` gives F, d, 3 with a bar, m."""
    parts: list[dict[str, str]] = []
    for i, token in enumerate((symbol or "").split()):
        match = _SPACE_GROUP_TOKEN.fullmatch(token) if i else None
        if match is None:
            parts.append({"text": token, "style": ""})
            continue
        bar, axis, screw, rest = match.groups()
        parts.append({"text": axis, "style": "bar" if bar else ""})
        if screw:
            parts.append({"text": screw, "style": "sub"})
        if rest:
            parts.append({"text": rest, "style": ""})
    return parts


def local(url: str | None, site_url: str) -> str | None:
    """An absolute URL of this site as a path, so links work on whatever host serves the page
    (a test server, a proxy) and not only at the configured base URL."""
    if not url:
        return None
    if url.startswith(site_url + "/"):
        return url[len(site_url) :]
    return url


def structure_row(
    entry: dict[str, Any], references: Mapping[str, dict[str, Any]], service: OptimadeService
) -> dict[str, Any]:
    """One result as the page shows it (and the twin lists it): the record's title comes from
    its own reference in ``included`` (the structure's title may be a file's label), site links
    are paths, and the 3D button gets the API URL of the coordinates, fetched only on demand."""
    a: dict[str, Any] = entry["attributes"]
    own = f"_{service.provider.prefix}_"
    site = service.site_url
    version = str(a.get(f"{own}version") or "")
    record = references.get(version, {})
    title = str(a.get(f"{own}title") or "")
    record_title = str(record.get("title") or title or version)
    number = version.rpartition("v")[2]
    provenance = local(a.get(f"{own}provenance"), site)
    node = provenance.rstrip("/").rpartition("/")[2] if provenance else None
    dims = a.get("nperiodic_dimensions")
    dimension = DIMENSIONS.get(dims) if isinstance(dims, int) else None
    doi = a.get(f"{own}doi")
    nsites = a.get("nsites")
    entry_id = str(entry["id"])
    fields = "lattice_vectors,cartesian_site_positions,species_at_sites,species,dimension_types"
    preview = (
        f"/optimade/v{MAJOR}/structures/{quote(entry_id, safe='')}?response_fields={fields}"
        if isinstance(nsites, int) and 0 < nsites <= MAX_PREVIEW_SITES
        else None
    )
    return {
        "id": entry_id,
        "formula": a.get("chemical_formula_reduced"),
        "formula_parts": formula_parts(a.get("chemical_formula_reduced")),
        "elements": a.get("elements") or [],
        "nelements": a.get("nelements"),
        "nsites": nsites,
        "space_group": a.get(f"{own}space_group"),
        "space_group_parts": space_group_parts(a.get("space_group_symbol_hermann_mauguin")),
        "space_group_number": a.get("space_group_it_number"),
        "dimensions": dims,
        "dimensions_label": dimension[0] if dimension else "?",
        "dimensions_help": dimension[1] if dimension else "Periodicity unknown",
        "structure_features": a.get("structure_features") or [],
        "record": {
            "id": a.get(f"{own}record"),
            "version": version,
            "version_label": f"v{number}" if number.isdigit() else version,
            "title": record_title,
            "url": local(a.get(f"{own}landing_page"), site),
            "is_latest": bool(a.get(f"{own}is_latest")),
        },
        "label": title
        if title not in ("", record_title, a.get("chemical_formula_reduced"))
        else None,
        "file": a.get(f"{own}file"),
        "node": {"uuid": node, "url": provenance} if provenance else None,
        "doi": doi,
        "doi_url": f"/doi/{quote(str(doi), safe='/')}" if doi else None,
        "api_url": entry.get("links", {}).get("self"),
        "preview_url": preview,
    }


def _included_references(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The cited references by id: a record version's own reference has the version's id."""
    return {
        str(item["id"]): item.get("attributes") or {}
        for item in document.get("included") or []
        if item.get("type") == "references"
    }


@dataclass
class Search:
    """One search as the page runs it: the parameters as given (the API checks them)."""

    filter: str = ""
    sort: str = ""
    page_limit: str = str(DEFAULT_PAGE_LIMIT)
    page_offset: str = "0"

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> Search:
        return cls(
            filter=params.get("filter", "").strip(),
            sort=params.get("sort", "").strip(),
            page_limit=params.get("page_limit", "").strip() or str(DEFAULT_PAGE_LIMIT),
            page_offset=params.get("page_offset", "").strip() or "0",
        )

    def params(self, **changes: str) -> list[tuple[str, str]]:
        """The page's own query parameters (defaults left out, so URLs stay short)."""
        values = {**self.__dict__, **changes}
        found = [("filter", values["filter"])] if values["filter"] else []
        found += [("sort", values["sort"])] if values["sort"] else []
        if values["page_limit"] != str(DEFAULT_PAGE_LIMIT):
            found.append(("page_limit", values["page_limit"]))
        if values["page_offset"] not in ("", "0"):
            found.append(("page_offset", values["page_offset"]))
        return found

    def href(self, path: str = PATH, **changes: str) -> str:
        params = self.params(**changes)
        return path + (f"?{urlencode(params)}" if params else "")

    def api_items(self, prefix: str) -> list[tuple[str, str]]:
        items = [("filter", self.filter)] if self.filter else []
        items += [("sort", self.sort)] if self.sort else []
        items += [("page_limit", self.page_limit), ("page_offset", self.page_offset)]
        own = f"_{prefix}_"
        fields = [
            "chemical_formula_reduced",
            "elements",
            "nelements",
            "nsites",
            "nperiodic_dimensions",
            "structure_features",
            "space_group_it_number",
            "space_group_symbol_hermann_mauguin",
            "last_modified",
            *(
                own + name
                for name in (
                    "record version title landing_page file provenance doi is_latest space_group"
                ).split()
            ),
        ]
        return [*items, ("response_fields", ",".join(fields))]


def _int(text: str, default: int) -> int:
    return int(text) if text.isdigit() else default


def run(
    service: OptimadeService, search: Search
) -> tuple[dict[str, Any] | None, FilterError | None]:
    """The API's answer to the search: its document, or what went wrong."""
    items = search.api_items(service.provider.prefix)
    info = RequestInfo(
        base_url=f"{service.root}/v{MAJOR}",
        path="/structures",
        query_string=urlencode(items),
        items=items,
    )
    try:
        return service.entries("structures", info), None
    except OptimadeError as error:
        return None, describe(error, search.filter, service)
    except Exception:  # a fault of ours: say so on the page, keep the person's filter
        log.exception("structure search failed", extra={"filter": search.filter})
        return None, FilterError(
            500, "The search failed on our side", "Something went wrong on our side; logged."
        )


def _pagination(search: Search, returned: int, shown: int) -> dict[str, Any]:
    limit = max(1, _int(search.page_limit, DEFAULT_PAGE_LIMIT))
    offset = _int(search.page_offset, 0)
    previous = search.href(page_offset=str(max(0, offset - limit))) if offset > 0 else None
    following = search.href(page_offset=str(offset + limit)) if offset + shown < returned else None
    return {
        "first": offset + 1 if shown else 0,
        "last": offset + shown,
        "page": offset // limit + 1,
        "pages": max(1, math.ceil(returned / limit)),
        "previous": previous,
        "next": following,
    }


def _sorts(service: OptimadeService, current: str) -> list[dict[str, Any]]:
    """The sort options whose property is sortable (and the current one, if typed by hand)."""
    props = service.schemas["structures"].props
    found = [
        {"id": value, "label": label, "selected": value == current}
        for value, label in SORTS
        if not value or (p := props.get(value.lstrip("-"))) is not None and p.sortable
    ]
    if current and all(option["id"] != current for option in found):
        found.append({"id": current, "label": current, "selected": True})
    return found


def _limits(current: str) -> list[dict[str, Any]]:
    values = [str(n) for n in PAGE_LIMITS]
    if current not in values:
        values.append(current)
    return [{"id": value, "selected": value == current} for value in values]


def _picker(search: Search, *, with_table: bool) -> dict[str, Any]:
    state = Picker.parse(search.filter)
    shown = state or Picker()
    found: dict[str, Any] = {
        "reads_filter": state is not None,
        "elements": list(shown.elements),
        "mode": shown.mode,
        "modes": [{"id": key, "label": MODE_LABELS[key], "keyword": MODES[key]} for key in MODES],
        "nelements": list(shown.nelements),
        "nsites": list(shown.nsites),
    }
    if with_table:  # the layout is the page's, not data a script wants in the JSON twin
        chosen = set(shown.elements)
        found["table"] = [
            {**cell.__dict__, "selected": cell.symbol in chosen} for cell in PERIODIC_TABLE
        ]
    return found


@page(router, PATH)
def structure_search(request: Request) -> Page | Response:
    """The search page; its status is the API's (400, 403, 501) when the search fails."""
    params = dict(request.query_params)
    search = Search.from_params(params)
    composed = picked_filter(params)
    if composed is not None:  # the picker's form, without JavaScript: go to the plain URL
        path = request.url.path
        target = replace(search, filter=composed.strip(), page_offset="0")
        return RedirectResponse(target.href(path), status_code=303)
    service = service_of(request)
    document, error = run(service, search)
    references = _included_references(document) if document else {}
    rows = [structure_row(e, references, service) for e in (document or {}).get("data", [])]
    meta = (document or {}).get("meta", {})
    returned = int(meta.get("data_returned") or 0)
    own = f"_{service.provider.prefix}_"
    api_path = f"/optimade/v{MAJOR}"
    data: dict[str, Any] = {
        "filter": search.filter,
        "sort": search.sort,
        "page_limit": search.page_limit,
        "page_offset": search.page_offset,
        "error": error.as_dict() if error else None,
        "error_mark": (
            marked(search.filter, error.position) if error and error.position is not None else None
        ),
        "warnings": [w.get("detail", "") for w in meta.get("warnings", [])],
        "data_returned": returned if document else None,
        "data_available": meta.get("data_available"),
        "structures": rows,
        "pagination": _pagination(search, returned, len(rows)) if document else None,
        "sorts": _sorts(service, search.sort),
        "page_limits": _limits(search.page_limit),
        "default_page_limit": DEFAULT_PAGE_LIMIT,
        "examples": [
            example(search, text.replace("_matcloud_", own), note) for text, note in EXAMPLES
        ],
        "fixes": [example(search, text) for text in (error.fixes if error else [])],
        "picker": _picker(search, with_table=not wants_json(request)),
        "api": {
            "base_url": f"{service.root}/v{MAJOR}",
            "url": search.href(f"{api_path}/structures"),
            "info_url": f"{api_path}/info/structures",
            "curl": f"curl -sG '{service.root}/v{MAJOR}/structures'"
            + (
                f" --data-urlencode {_shell_quote('filter=' + search.filter)}"
                if search.filter
                else ""
            ),
        },
        "json_url": search.href(PATH + ".json"),
        "provider_prefix": service.provider.prefix,
    }
    if error:
        title = "Structures: invalid filter" if error.status < 500 else "Structures: search failed"
    else:
        title = f"Structures: {search.filter}" if search.filter else "Search structures"
    return Page("optimade/search.html", data, title=title, status=error.status if error else 200)


def example(search: Search, text: str, note: str = "") -> dict[str, str]:
    """A filter to offer as a link: this search (sort, page size) with that filter."""
    return {"filter": text, "note": note, "href": search.href(filter=text, page_offset="0")}


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


__all__ = ["PERIODIC_TABLE", "Picker", "picked_filter", "router"]
