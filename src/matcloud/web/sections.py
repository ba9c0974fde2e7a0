"""The five sections of the site, in navigation order, and what each holds on this instance.

A section that is installed registers a ``stats`` function (its live counts) and the routes of
its own pages; the shell only knows this registry. Until a section is installed, its index
page says plainly what it will offer and that this instance does not offer it yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Stat:
    label: str
    value: int
    href: str | None = None


@dataclass
class Section:
    slug: str
    title: str
    tagline: str
    description: str
    offers: list[str]
    stats: Callable[[], list[Stat]] | None = None
    links: list[tuple[str, str]] = field(default_factory=list)

    @property
    def installed(self) -> bool:
        return self.stats is not None

    def summary(self) -> dict[str, Any]:
        stats = self.stats() if self.stats else []
        return {
            "slug": self.slug,
            "title": self.title,
            "tagline": self.tagline,
            "description": self.description,
            "offers": self.offers,
            "installed": self.installed,
            "stats": [{"label": s.label, "value": s.value, "href": s.href} for s in stats],
            "links": [{"label": label, "href": href} for label, href in self.links],
            "url": f"/{self.slug}",
        }


def default_sections() -> list[Section]:
    """The sections of the Materials Cloud platform, in the order of its navigation."""
    return [
        Section(
            "learn",
            "Learn",
            "Lectures and tutorials",
            "Video lectures, tutorials and seminars in computational materials science, with "
            "the slides shown beside the video and kept in sync.",
            [
                "Lectures grouped by series and topic",
                "A player that shows the current slide next to the video",
                "Search through the text of every slide",
            ],
        ),
        Section(
            "work",
            "Work",
            "Tools in the browser",
            "Tools that give immediate results from the browser: standardised cells and band "
            "paths with SeeK-path, an interactive phonon visualiser, a structure inspector.",
            [
                "SeeK-path: Bravais lattice, Brillouin zone and band path of any crystal",
                "Phonon visualiser: click a dispersion point, watch the atoms move",
                "Structure inspector and format converter",
            ],
        ),
        Section(
            "discover",
            "Discover",
            "Curated interactive data",
            "Curated datasets presented like the figures of a paper, but interactive: plots and "
            "tables of a whole set, and an ID card for each material, every value linked to "
            "its provenance.",
            [
                "Interactive scatter plots of tens of thousands of materials",
                "Material ID cards with structure, bands and phonons",
                "Sections declared in one YAML file by a curator",
            ],
        ),
        Section(
            "explore",
            "Explore",
            "Provenance graphs",
            "The full provenance graph of every AiiDA database published in the archive, "
            "browsable straight from the file, with an API compatible with AiiDA's REST API.",
            [
                "Every calculation, its inputs and outputs, step by step",
                "Structures, bands and files shown by type",
                "AiiDA REST API v4 for scripts and existing clients",
            ],
        ),
        Section(
            "archive",
            "Archive",
            "Citable research data",
            "A moderated repository for research data of computational materials science: "
            "every version of every record has a DOI, its metadata is open and harvestable, "
            "and its files are kept with checksums.",
            [
                "Deposit data with a draft, moderator review and a DOI per version",
                "Files up to 5 GB per record (50 GB for AiiDA databases)",
                "Metadata in DataCite, Dublin Core, JSON-LD; OAI-PMH harvesting",
            ],
        ),
    ]


__all__ = ["Section", "Stat", "default_sections"]
