"""Full-text search over published records, on SQLite (FTS5) and, with ``--db postgres``, on
PostgreSQL (tsvector): the same documents and queries must give the same answers on both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from matcloud.archive import search
from matcloud.archive.search import SearchDoc, SearchQuery, SearchResult
from matcloud.archive.search_query import parse
from matcloud.core.db import Database
from matcloud.core.errors import ValidationFailed

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def doc(record_id: str, day: int = 0, **fields: Any) -> SearchDoc:
    values: dict[str, Any] = {
        "version_id": f"{record_id}v1",
        "title": f"Record {record_id}",
        "publication_date": "2026-01-01",
        "published_at": T0 + timedelta(days=day),
    }
    values.update(fields)
    return SearchDoc(record_id=record_id, **values)


def index(db: Database, *docs: SearchDoc) -> None:
    with db.unit_of_work() as uow:
        for d in docs:
            search.upsert(uow.session, d)


def run(db: Database, q: str = "", **params: Any) -> SearchResult:
    with db.read() as session:
        return search.search(session, SearchQuery(q=q, **params))


def ids(db: Database, q: str = "", **params: Any) -> list[str]:
    return [hit.record_id for hit in run(db, q, **params).hits]


def buckets(result: SearchResult, facet: str) -> dict[str, int]:
    return dict(result.aggregations[facet])


@pytest.fixture
def corpus(db: Database) -> Database:
    """Five records with deliberately overlapping words, published a day apart."""
    index(
        db,
        doc(
            "2026.1",
            0,
            title="Phonons of graphene from first principles",
            description="Vibrational properties from density-functional perturbation theory.",
            creators="Marzari, Nicola; 0000-0002-1234-5678; EPFL",
            keywords=["DFT", "phonons"],
            identifiers="10.1234/abc.def https://github.com/example/phonons",
            licences=["cc-by-4.0"],
            has_aiida=True,
            file_types=["aiida", "cif"],
        ),
        doc(
            "2026.2",
            1,
            title="Magnetism in layered oxides",
            description="The band structure of graphene is used as a reference. Müller's method.",
            creators="Müller, Anna; ETH Zürich",
            keywords=["magnetism", "DFT"],
            identifiers="10.1234/abc.xyz",
            licences=["cc-by-4.0"],
            publication_date="2025-06",
            file_types=["cif"],
        ),
        doc(
            "2026.3",
            2,
            title="Superconductivity in hydrides under pressure",
            description="Eliashberg theory; structure band data for each hydride. By Marzari.",
            creators="Pizzi, Giovanni; PSI",
            keywords=["superconductivity", "hydrides"],
            identifiers="10.5555/hydrides.2025",
            licences=["cc0-1.0"],
            publication_date="2025",
            has_aiida=True,
            file_types=["aiida", "zip"],
        ),
        doc(
            "2026.4",
            3,
            title="Perovskite solar cells: a band structure database",
            description="Band structures of 500 perovskites.",
            creators="Talirz, Leopold; EPFL",
            keywords=["perovskites", "band structure"],
            identifiers="10.24435/materialscloud:2020.0001/v1",
            licences=["cc-by-4.0"],
            publication_date="2024-03-01",
            file_types=["json"],
        ),
        doc(
            "2026.5",
            4,
            title="Graphene oxide membranes",
            description="Permeation through graphene oxide.",
            creators="Yakutovich, Aliaksandr",
            keywords=["graphene", "membranes"],
            identifiers="10.5555/go.membranes",
            licences=["mit"],
            publication_date="2024-01-15",
            file_types=["cif"],
        ),
    )
    return db


# -- matching and ranking -----------------------------------------------------------------------


def test_a_title_match_ranks_above_a_description_match(db: Database) -> None:
    index(
        db,
        doc("2026.10", 5, title="Elastic tensors", description="Includes one perovskite."),
        doc("2026.11", 0, title="Perovskite elastic constants", description="Tensors."),
    )
    result = run(db, "perovskite")
    assert [h.record_id for h in result.hits] == ["2026.11", "2026.10"]
    assert result.sort == "relevance"
    assert result.hits[0].score > result.hits[1].score
    # newest first is still available, and is the order without relevance
    assert ids(db, "perovskite", sort="newest") == ["2026.10", "2026.11"]


def test_words_must_all_match_in_any_field(corpus: Database) -> None:
    assert ids(corpus, "graphene phonons") == ["2026.1"]
    assert ids(corpus, "graphene marzari") == ["2026.1"]
    assert ids(corpus, "graphene nothere") == []


def test_phrases_match_words_in_order(corpus: Database) -> None:
    assert sorted(ids(corpus, '"band structure"')) == ["2026.2", "2026.4"]
    assert ids(corpus, '"structure band"') == ["2026.3"]
    assert sorted(ids(corpus, "band structure")) == ["2026.2", "2026.3", "2026.4"]


def test_phrases_do_not_span_two_keywords_or_two_creators(db: Database) -> None:
    index(db, doc("2026.20", keywords=["band", "structure"], creators="Anna Band; Structure Lab"))
    assert ids(db, "keyword:band keyword:structure") == ["2026.20"]
    assert ids(db, 'keyword:"band structure"') == []
    assert ids(db, '"band structure"') == []


def test_or_joins_alternatives_and_binds_tighter_than_and(corpus: Database) -> None:
    assert sorted(ids(corpus, "magnetism OR superconductivity")) == ["2026.2", "2026.3"]
    assert ids(corpus, "magnetism OR superconductivity pressure") == ["2026.3"]
    assert sorted(ids(corpus, 'hydrides OR "graphene oxide" OR nothere')) == ["2026.3", "2026.5"]


def test_excluded_terms_remove_records(corpus: Database) -> None:
    assert sorted(ids(corpus, "graphene")) == ["2026.1", "2026.2", "2026.5"]
    assert sorted(ids(corpus, "graphene -membranes")) == ["2026.1", "2026.2"]
    assert ids(corpus, "graphene -oxide") == ["2026.1"]  # "oxides" in 2026.2's title
    assert ids(corpus, 'graphene -"graphene oxide" -magnetism') == ["2026.1"]
    assert ids(corpus, "graphene NOT membranes NOT magnetism") == ["2026.1"]
    # exclusions alone: every record but those, newest first
    result = run(corpus, "-graphene -hydrides")
    assert [h.record_id for h in result.hits] == ["2026.4"] and result.sort == "newest"


def test_prefix_search(corpus: Database) -> None:
    assert sorted(ids(corpus, "perov*")) == ["2026.4"]
    assert sorted(ids(corpus, "superconduct*")) == ["2026.3"]
    assert sorted(ids(corpus, "hydr*")) == ["2026.3"]
    assert ids(corpus, "perov") == []


def test_field_prefixes_restrict_to_one_field(corpus: Database) -> None:
    assert ids(corpus, "creator:marzari") == ["2026.1"]  # 2026.3 only mentions him
    assert sorted(ids(corpus, "marzari")) == ["2026.1", "2026.3"]
    assert sorted(ids(corpus, "title:graphene")) == ["2026.1", "2026.5"]
    assert sorted(ids(corpus, 'title:"band structure"')) == ["2026.4"]
    assert ids(corpus, "keyword:magnetism") == ["2026.2"]
    assert sorted(ids(corpus, "keyword:dft")) == ["2026.1", "2026.2"]
    assert ids(corpus, "keyword:graphene") == ["2026.5"]
    assert ids(corpus, "author:pizzi") == ["2026.3"]
    assert ids(corpus, "creator:0000-0002-1234-5678") == ["2026.1"]
    assert ids(corpus, "title: hydrides") == ["2026.3"]  # a space after the colon is forgiven
    assert sorted(ids(corpus, "-title:graphene graphene")) == ["2026.2"]


def test_a_doi_searched_as_is_finds_its_record(corpus: Database) -> None:
    assert ids(corpus, "10.1234/abc.def") == ["2026.1"]
    assert ids(corpus, "10.1234/abc.xyz") == ["2026.2"]
    assert ids(corpus, "doi:10.1234/abc.def") == ["2026.1"]
    assert ids(corpus, "https://doi.org/10.1234/abc.def") == ["2026.1"]
    assert ids(corpus, "10.24435/materialscloud:2020.0001/v1") == ["2026.4"]
    assert ids(corpus, '"10.5555/hydrides.2025"') == ["2026.3"]
    assert sorted(ids(corpus, "doi:10.1234/abc")) == ["2026.1", "2026.2"]  # DOIs starting so


def test_case_diacritics_and_plurals_are_folded(corpus: Database) -> None:
    assert ids(corpus, "creator:muller") == ["2026.2"]
    assert ids(corpus, "creator:MÜLLER") == ["2026.2"]
    assert ids(corpus, "zurich") == ["2026.2"]
    assert ids(corpus, "phonon") == ["2026.1"]
    assert ids(corpus, "perovskite") == ["2026.4"]
    assert ids(corpus, "hydride") == ["2026.3"]


def test_common_words_are_not_required(corpus: Database) -> None:
    assert ids(corpus, "phonons of graphene from the first principles") == ["2026.1"]
    assert ids(corpus, '"phonons of graphene"') == ["2026.1"]


HOSTILE = [
    '"',
    '""',
    '"graphene',
    'graphene"',
    "(",
    ")",
    "(graphene OR",
    "*",
    "**",
    "graph**",
    "NEAR(",
    "NEAR(graphene oxide, 2)",
    "graphene AND OR NOT",
    "title:",
    'title:"',
    "doi:",
    "unknown:field",
    "'; DROP TABLE archive_search_docs; --",
    "' OR 1=1 --",
    "10.1234/abc",
    "\\",
    "\\\\graphene\\",
    "{}",
    "{title creators}: graphene",
    "[graphene]",
    "^graphene",
    "graphene:*",
    "a:b:c:d",
    "-",
    "--",
    "- -graphene",
    "OR",
    "OR OR",
    "% _ %",
    "$$ @@ && || ! <-> :*",
    "🙂🙂 graphene 🚀",
    "石墨烯 グラフェン графен",
    "x\x00y",
    "\t\n\r",
    "graphene " * 200,
    "ß" * 2000,
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_never_fail(corpus: Database, q: str) -> None:
    result = run(corpus, q)
    assert result.total == len(result.hits) <= 5
    assert set(result.aggregations) == {"keywords", "licence", "year", "has_aiida", "file_type"}
    assert result.notice is None or result.notice.strip()


def test_hostile_queries_keep_their_words(corpus: Database) -> None:
    assert sorted(ids(corpus, '"graphene oxide')) == ["2026.5"]
    assert run(corpus, '"graphene oxide').parse_errors == [
        "A quote was not closed; the phrase runs to the end."
    ]
    assert sorted(ids(corpus, "(graphene OR")) == ["2026.1", "2026.2", "2026.5"]
    assert sorted(ids(corpus, "NEAR(graphene oxide, 2)")) == []  # "near" is a word here
    assert sorted(ids(corpus, "[graphene]")) == ["2026.1", "2026.2", "2026.5"]
    assert sorted(ids(corpus, "🙂🙂 graphene 🚀")) == ["2026.1", "2026.2", "2026.5"]
    assert ids(corpus, "'; DROP TABLE archive_search_docs; --") == []
    with corpus.read() as session:
        assert search.count(session) == 5
    # nothing searchable at all reads as an empty query: everything, newest first, and says so
    result = run(corpus, "{}")
    assert result.total == 5 and result.sort == "newest"
    assert result.notice and "showing every record" in result.notice


def test_well_formed_queries_have_no_notice(corpus: Database) -> None:
    for q in ["graphene", '"band structure" -oxide', "dft OR gw title:x*", "doi:10.1/x"]:
        result = run(corpus, q)
        assert result.parse_errors == [] and result.notice is None, q


# -- facets -------------------------------------------------------------------------------------


def test_facets_count_every_record_without_a_query(corpus: Database) -> None:
    result = run(corpus)
    assert result.aggregations["keywords"][:2] == [("DFT", 2), ("band structure", 1)]
    assert buckets(result, "licence") == {"cc-by-4.0": 3, "cc0-1.0": 1, "mit": 1}
    assert result.aggregations["licence"][0] == ("cc-by-4.0", 3)
    assert buckets(result, "year") == {"2024": 2, "2025": 2, "2026": 1}
    assert buckets(result, "has_aiida") == {"false": 3, "true": 2}
    assert buckets(result, "file_type") == {"cif": 3, "aiida": 2, "json": 1, "zip": 1}
    assert [b.key for b in result.aggregations["file_type"]] == ["cif", "aiida", "json", "zip"]


def test_facets_count_the_records_the_query_matches(corpus: Database) -> None:
    result = run(corpus, "graphene")
    assert buckets(result, "licence") == {"cc-by-4.0": 2, "mit": 1}
    assert buckets(result, "has_aiida") == {"true": 1, "false": 2}


def test_a_filtered_facet_counts_as_if_unfiltered_and_the_others_follow_it(
    corpus: Database,
) -> None:
    result = run(corpus, filters={"licence": ["cc-by-4.0"]})
    assert sorted(h.record_id for h in result.hits) == ["2026.1", "2026.2", "2026.4"]
    assert result.total == 3
    assert buckets(result, "licence") == {"cc-by-4.0": 3, "cc0-1.0": 1, "mit": 1}
    assert buckets(result, "year") == {"2024": 1, "2025": 1, "2026": 1}
    assert buckets(result, "has_aiida") == {"true": 1, "false": 2}

    both = run(corpus, filters={"licence": ["cc-by-4.0"], "has_aiida": ["false"]})
    assert sorted(h.record_id for h in both.hits) == ["2026.2", "2026.4"]
    assert buckets(both, "licence") == {"cc-by-4.0": 2, "mit": 1}
    assert buckets(both, "has_aiida") == {"true": 1, "false": 2}
    assert buckets(both, "file_type") == {"cif": 1, "json": 1}


def test_values_of_one_facet_are_alternatives(corpus: Database) -> None:
    result = run(corpus, filters={"year": ["2024", "2025"]})
    assert result.total == 4
    result = run(corpus, "graphene", filters={"file_type": ["json", "aiida"]})
    assert [h.record_id for h in result.hits] == ["2026.1"]
    assert buckets(result, "file_type") == {"cif": 3, "aiida": 1}


def test_facets_keep_the_top_twenty_by_count_then_key(db: Database) -> None:
    docs = [doc(f"2026.{n}", n, keywords=[f"kw{n:02d}", "common"]) for n in range(30)]
    docs.append(doc("2026.99", 99, keywords=["kw29", "kw07"]))
    index(db, *docs)
    keywords = run(db).aggregations["keywords"]
    assert len(keywords) == 20
    assert keywords[:3] == [("common", 30), ("kw07", 2), ("kw29", 2)]
    assert [b.key for b in keywords[3:6]] == ["kw00", "kw01", "kw02"]


# -- paging and sorting -------------------------------------------------------------------------


def test_pages_are_stable_and_cover_every_hit_once(db: Database) -> None:
    # 25 records, published in 5 batches at the same moment: ties are broken by record id
    index(
        db,
        *(
            doc(f"2026.{n:02d}", n // 5, title=f"Silicon study {n}", description="silicon")
            for n in range(25)
        ),
    )
    pages = [ids(db, "silicon", page=p, size=10) for p in (1, 2, 3, 4)]
    assert [len(p) for p in pages] == [10, 10, 5, 0]
    flat = [r for p in pages for r in p]
    assert len(set(flat)) == 25
    assert flat == [r for p in (1, 2, 3) for r in ids(db, "silicon", page=p, size=10)]
    assert run(db, "silicon", page=3, size=10).total == 25

    newest = ids(db, size=100)
    assert newest[:5] == ["2026.20", "2026.21", "2026.22", "2026.23", "2026.24"]
    oldest = ids(db, sort="oldest", size=100)
    assert oldest[:5] == ["2026.00", "2026.01", "2026.02", "2026.03", "2026.04"]
    assert ids(db, sort="newest", size=7, page=2) == newest[7:14]


def test_sort_by_title_ignores_case(db: Database) -> None:
    index(
        db,
        doc("2026.1", 0, title="beta phase"),
        doc("2026.2", 1, title="Alpha phase"),
        doc("2026.3", 2, title="Gamma phase"),
        doc("2026.4", 3, title="alpha phase"),
    )
    assert ids(db, sort="title") == ["2026.4", "2026.2", "2026.1", "2026.3"]
    assert ids(db, "phase", sort="title", size=2, page=2) == ["2026.1", "2026.3"]


def test_an_empty_query_lists_newest_first(corpus: Database) -> None:
    result = run(corpus)
    assert [h.record_id for h in result.hits] == ["2026.5", "2026.4", "2026.3", "2026.2", "2026.1"]
    assert result.total == 5 and result.sort == "newest" and result.notice is None
    assert ids(corpus, sort="relevance") == ids(corpus)  # nothing to rank by
    assert ids(corpus, sort="oldest")[0] == "2026.1"


# -- writing ------------------------------------------------------------------------------------


def test_upsert_replaces_the_record(corpus: Database) -> None:
    index(
        corpus,
        doc(
            "2026.1",
            10,
            version_id="2026.1v2",
            title="Phonons of silicene",
            keywords=["silicene"],
            licences=["cc0-1.0"],
        ),
    )
    with corpus.read() as session:
        assert search.count(session) == 5
    assert ids(corpus, "silicene") == ["2026.1"]
    assert run(corpus, "silicene").hits[0].version_id == "2026.1v2"
    assert "2026.1" not in ids(corpus, "graphene")
    assert ids(corpus, "10.1234/abc.def") == []
    result = run(corpus)
    assert result.hits[0].record_id == "2026.1"  # published most recently now
    assert buckets(result, "licence") == {"cc-by-4.0": 2, "cc0-1.0": 2, "mit": 1}
    assert "DFT" in buckets(result, "keywords") and buckets(result, "keywords")["DFT"] == 1


def test_delete_removes_the_record_from_hits_and_facets(corpus: Database) -> None:
    with corpus.unit_of_work() as uow:
        search.delete(uow.session, "2026.5")
        search.delete(uow.session, "2026.404")  # absent: nothing happens
    assert sorted(ids(corpus, "graphene")) == ["2026.1", "2026.2"]
    result = run(corpus)
    assert result.total == 4
    assert "mit" not in buckets(result, "licence")
    assert "membranes" not in buckets(result, "keywords")


def test_a_write_rolled_back_leaves_the_index_as_it_was(corpus: Database) -> None:
    with pytest.raises(RuntimeError), corpus.unit_of_work() as uow:
        search.delete(uow.session, "2026.5")
        search.upsert(uow.session, doc("2026.6", title="Never indexed"))
        raise RuntimeError("crash")
    assert ids(corpus, "membranes") == ["2026.5"]
    assert ids(corpus, "never indexed") == []


def test_a_record_without_a_publication_date_has_no_year(db: Database) -> None:
    index(db, doc("2026.1", publication_date="", title="Undated"))
    result = run(db, "undated")
    assert result.total == 1 and result.aggregations["year"] == []


def test_search_doc_takes_its_year_from_the_publication_date() -> None:
    assert doc("2026.1", publication_date="2019-05-02").year == 2019
    assert doc("2026.1", publication_date="2019", year=2020).year == 2020
    assert doc("2026.1", keywords=["a", "b"]).keywords == ("a", "b")
    with pytest.raises(ValueError):
        doc("x" * 33)


# -- the request --------------------------------------------------------------------------------


def fields_of(error: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [e.field for e in error.value.errors]


def test_from_params_applies_defaults() -> None:
    query = SearchQuery.from_params(None, "", "", None, {"year": ["2024", " 2024 ", ""]})
    assert query == SearchQuery(q="", filters={"year": ["2024"]}, sort=None, page=1, size=20)
    query = SearchQuery.from_params("graphene", "title", "2", "50", {"licence": "mit"})
    assert (query.q, query.sort, query.page, query.size) == ("graphene", "title", 2, 50)
    assert query.filters == {"licence": ["mit"]}


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"sort": "best"}, ["sort"]),
        ({"page": "0"}, ["page"]),
        ({"page": "two"}, ["page"]),
        ({"size": "0"}, ["size"]),
        ({"size": 101}, ["size"]),
        ({"page": 200, "size": 100}, ["page"]),
        ({"filters": {"colour": ["red"]}}, ["filters.colour"]),
        ({"filters": {"has_aiida": ["maybe"]}}, ["filters.has_aiida"]),
        ({"filters": {"year": ["last"]}}, ["filters.year"]),
        ({"filters": {"keywords": ["a\x00b"]}}, ["filters.keywords"]),
        ({"sort": "x", "page": "-1", "size": "1000"}, ["page", "sort", "size"]),
    ],
)
def test_from_params_names_every_bad_field(params: dict[str, Any], fields: list[str]) -> None:
    with pytest.raises(ValidationFailed) as error:
        SearchQuery.from_params(**params)
    assert sorted(fields_of(error)) == sorted(fields)


def test_a_query_built_directly_is_validated_too() -> None:
    with pytest.raises(ValidationFailed) as error:
        SearchQuery(size=500)
    assert fields_of(error) == ["size"]


def test_the_query_language_reads_what_it_can() -> None:
    parsed = parse('title:"band gap" dft OR gw -oxide* doi:10.1234/x.y In')
    assert parsed.display() == 'title:"band gap" dft OR gw doi:"10 1234 x y" in -oxide*'
    assert parsed.errors == ()
    assert parse("graphene in water").display() == "graphene water"  # "in" is not indexium
    assert parse("GaAs In As").display() == "gaas in as"  # ...unless capitalised like one
    assert parse("phonons").groups[0][0].tokens == ("phonon",)
    assert parse("the").display() == "the"  # only common words: keep them
    assert parse("dft OR OR gw").display() == "dft OR gw"
    assert parse("dft OR OR gw").errors == ("An OR without a term on both sides was ignored.",)
    assert parse("colour:red").errors == ("“colour:” is not a searchable field; searched as text.",)
    assert parse("graphene " * 500).errors == (
        "Only the first 1000 characters were searched.",
        "Only the first 32 terms were searched.",
    )
    assert (
        parse("x" * 5000).errors[1]
        == f"Ignored, as there is nothing in it to search for: {'x' * 20}…"
    )
    assert len(parse(" ".join(f"w{n}" for n in range(50))).groups) == 32
