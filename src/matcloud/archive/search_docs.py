"""What the search index knows of a published version."""

from __future__ import annotations

from matcloud.archive.models import Version
from matcloud.archive.search import SearchDoc


def search_doc(version: Version) -> SearchDoc:
    meta = version.metadata_json
    creators = []
    for creator in meta.get("creators", []):
        person = creator.get("person_or_org", {})
        creators.append(person.get("name", ""))
        creators += [i.get("identifier", "") for i in person.get("identifiers", [])]
        creators += [a.get("name") or a.get("id") or "" for a in creator.get("affiliations", [])]
    identifiers = [version.doi or "", version.record.concept_doi or ""] + [
        r.get("identifier", "") for r in meta.get("related_identifiers", [])
    ]
    date = meta.get("publication_date") or ""
    extensions = sorted({f.key.rsplit(".", 1)[-1].lower() for f in version.files if "." in f.key})
    return SearchDoc(
        record_id=version.record_id,
        version_id=version.id,
        title=meta.get("title", ""),
        description=meta.get("description", ""),
        creators=" ; ".join(c for c in creators if c),
        keywords=[s["subject"] for s in meta.get("subjects", []) if s.get("subject")],
        identifiers=" ".join(i for i in identifiers if i),
        licences=[r["id"] for r in meta.get("rights", []) if r.get("id")],
        publication_date=date,
        year=int(date[:4]) if date[:4].isdigit() else None,
        has_aiida=any(f.key.lower().endswith(".aiida") for f in version.files),
        file_types=extensions,
        is_demo=version.record.is_demo,
        published_at=version.published_at or version.updated_at,
    )


__all__ = ["search_doc"]
