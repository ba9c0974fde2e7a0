"""Licences a depositor can pick (SPDX ids, lower case as InvenioRDM writes them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Licence:
    id: str
    title: str
    url: str
    kind: str  # "data" or "software": the deposit form offers data licences first


def _cc(id_: str, title: str, path: str) -> Licence:
    return Licence(id_, title, f"https://creativecommons.org/{path}", "data")


LICENCES: dict[str, Licence] = {
    lic.id: lic
    for lic in [
        _cc("cc-by-4.0", "Creative Commons Attribution 4.0 International", "licenses/by/4.0/"),
        _cc(
            "cc-by-sa-4.0",
            "Creative Commons Attribution Share Alike 4.0 International",
            "licenses/by-sa/4.0/",
        ),
        _cc("cc0-1.0", "Creative Commons Zero v1.0 Universal", "publicdomain/zero/1.0/"),
        _cc(
            "cc-by-nc-4.0",
            "Creative Commons Attribution Non Commercial 4.0 International",
            "licenses/by-nc/4.0/",
        ),
        _cc(
            "cc-by-nd-4.0",
            "Creative Commons Attribution No Derivatives 4.0 International",
            "licenses/by-nd/4.0/",
        ),
        Licence("mit", "MIT License", "https://opensource.org/licenses/MIT", "software"),
        Licence(
            "apache-2.0",
            "Apache License 2.0",
            "https://www.apache.org/licenses/LICENSE-2.0",
            "software",
        ),
        Licence(
            "bsd-3-clause",
            'BSD 3-Clause "New" or "Revised" License',
            "https://opensource.org/licenses/BSD-3-Clause",
            "software",
        ),
        Licence(
            "gpl-3.0-or-later",
            "GNU General Public License v3.0 or later",
            "https://www.gnu.org/licenses/gpl-3.0-standalone.html",
            "software",
        ),
        Licence(
            "lgpl-3.0-or-later",
            "GNU Lesser General Public License v3.0 or later",
            "https://www.gnu.org/licenses/lgpl-3.0-standalone.html",
            "software",
        ),
        Licence(
            "mpl-2.0", "Mozilla Public License 2.0", "https://www.mozilla.org/MPL/2.0/", "software"
        ),
    ]
}

__all__ = ["LICENCES", "Licence"]
