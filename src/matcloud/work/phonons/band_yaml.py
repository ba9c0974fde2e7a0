"""phonopy's ``band.yaml`` (written with eigenvectors) -> :class:`PhononBands`.

The file holds the unit cell (``lattice``, ``points`` — ``atoms`` in phonopy < 2), the path
(``segment_nqpoint``; a segment that does not start where the previous one ended is a jump)
and, per q-point, every band's frequency (THz) and mass-weighted eigenvector, in phonopy's
phase convention (that of :class:`PhononBands`). Labels come from the top-level ``labels``
(a pair per segment) or the q-points' ``label`` keys, when phonopy was given them.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import yaml

from matcloud.structures import Species, Structure, StructureError
from matcloud.work.phonons.model import PhononBands, PhononFileError, normalised

try:  # libyaml's parser: 10x faster on the large files
    Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    Loader = yaml.SafeLoader

_LATEX = {r"$\Gamma$": "Γ", "GAMMA": "Γ", "G": "Γ", r"\Gamma": "Γ"}


def _yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=Loader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise PhononFileError(f"this is not valid YAML: {exc.problem}", line) from None
    except yaml.YAMLError as exc:
        raise PhononFileError(f"this is not valid YAML: {exc}") from None


_PHONON = "\nphonon:\n"
_BRACKETS = re.compile(r"^\[(.*)\]$")


def _fast_document(text: str) -> dict[str, Any] | None:
    """The document, reading the ``phonon:`` list line by line in the layout phonopy writes
    (YAML's parser takes a second for 600 kB of it); ``None`` at the first line that is not
    in that layout, and the whole file goes to the YAML parser instead."""
    split = text.find(_PHONON)
    if split < 0:
        return None
    header = _yaml(text[: split + 1])
    if not isinstance(header, dict):
        return None
    points: list[dict[str, Any]] = []
    band: dict[str, Any] | None = None
    atom: list[list[float]] | None = None
    try:
        for raw in text[split + len(_PHONON) :].splitlines():
            line = raw.split("#", 1)[0].rstrip() if "#" in raw else raw.rstrip()
            stripped = line.strip()
            if not stripped:
                continue
            key, _, value = stripped.partition(":")
            if line.startswith("- q-position:"):
                points.append({"q-position": _flow(value), "band": []})
            elif line.startswith("      - ["):
                assert atom is not None
                atom.append(_flow(stripped[1:]))
            elif line == "    - " or line == "    -":
                assert band is not None
                atom = []
                band["eigenvector"].append(atom)
            elif line == "  - " or line == "  -":
                band = {}
                points[-1]["band"].append(band)
            elif line.startswith("    frequency:"):
                assert band is not None
                band["frequency"] = float(value)
            elif line == "    eigenvector:":
                assert band is not None
                band["eigenvector"] = []
            elif line.startswith("  label:"):
                points[-1]["label"] = value.strip().strip("'\"")
            elif line.startswith(("  distance:", "  band:")):
                continue
            else:
                return None
    except (AssertionError, ValueError, IndexError):
        return None
    header["phonon"] = points
    return header


def _flow(value: str) -> list[float]:
    match = _BRACKETS.match(value.strip())
    if match is None:
        raise ValueError(value)
    return [float(x) for x in match.group(1).split(",")]


def read_band_yaml(text: str) -> PhononBands:
    document = _fast_document(text)
    if document is None:
        document = _yaml(text)
    if not isinstance(document, dict) or "phonon" not in document:
        raise PhononFileError("this YAML file is not a phonopy band.yaml (no 'phonon' list)")
    structure, masses = _cell(document)
    natoms = structure.nsites
    points = document["phonon"]
    if not isinstance(points, list) or not points:
        raise PhononFileError("the band.yaml lists no q-points")
    qpoints, frequencies, vectors, labels = [], [], [], {}
    nbands = 3 * natoms
    for index, point in enumerate(points):
        where = f"q-point {index + 1}"
        if not isinstance(point, dict) or not isinstance(point.get("band"), list):
            raise PhononFileError(f"{where} has no 'band' list")
        qpoints.append(_floats(point.get("q-position"), 3, f"{where}: q-position"))
        bands = point["band"]
        if len(bands) != nbands:
            raise PhononFileError(f"{where} has {len(bands)} bands; {natoms} atoms need {nbands}")
        frequencies.append([_number(b.get("frequency"), f"{where}: frequency") for b in bands])
        if any("eigenvector" not in b for b in bands):
            raise PhononFileError(
                "this band.yaml has no eigenvectors: run phonopy with EIGENVECTORS = .TRUE. "
                "(or --eigvecs) so that the modes can be animated"
            )
        try:
            vectors.append(np.array([b["eigenvector"] for b in bands], dtype=float))
        except (TypeError, ValueError):
            raise PhononFileError(f"{where}: an eigenvector is not a list of numbers") from None
        if vectors[-1].shape != (nbands, natoms, 3, 2):
            raise PhononFileError(
                f"{where}: eigenvectors of shape {vectors[-1].shape[1:]}, expected "
                f"({natoms}, 3, 2) (atoms, directions, real and imaginary parts)"
            )
        if isinstance(point.get("label"), str):
            labels[index] = _label(point["label"])
    labels = {**_segment_labels(document, len(points)), **labels}
    stacked = np.array(vectors)
    eigenvectors = normalised(stacked[..., 0] + 1j * stacked[..., 1])
    q = np.array(qpoints)
    return PhononBands(
        structure=structure,
        masses=masses,
        qpoints=q,
        frequencies=np.array(frequencies),
        eigenvectors=eigenvectors,
        pieces=_pieces(document.get("segment_nqpoint"), q),
        labels=labels,
        source="phonopy band.yaml",
    )


def _cell(document: dict[str, Any]) -> tuple[Structure, np.ndarray]:
    lattice = document.get("lattice")
    if lattice is None:
        raise PhononFileError(
            "the band.yaml has no 'lattice' (written by phonopy before 1.12?): run phonopy "
            "again with a current version"
        )
    cell = np.array([_floats(v, 3, "lattice") for v in _list(lattice, "lattice", 3)])
    atoms = document.get("points", document.get("atoms"))
    atoms = _list(atoms, "points", None)
    if not atoms:
        raise PhononFileError("the band.yaml lists no atoms ('points')")
    symbols, fractional, masses = [], [], []
    for n, atom in enumerate(atoms, start=1):
        if not isinstance(atom, dict) or not isinstance(atom.get("symbol"), str):
            raise PhononFileError(f"atom {n} of 'points' has no symbol")
        symbols.append(atom["symbol"])
        fractional.append(_floats(atom.get("coordinates"), 3, f"atom {n}: coordinates"))
        masses.append(_number(atom.get("mass"), f"atom {n}: mass"))
    natom = document.get("natom")
    if natom is not None and natom != len(atoms):
        raise PhononFileError(f"natom = {natom} but 'points' lists {len(atoms)} atoms")
    positions = np.array(fractional) @ cell
    try:
        structure = Structure(
            lattice=tuple(tuple(row) for row in cell.tolist()),
            pbc=(True, True, True),
            species=tuple(Species(s, (s,), (1.0,)) for s in dict.fromkeys(symbols)),
            sites=tuple(zip(symbols, (tuple(p) for p in positions.tolist()), strict=True)),
        )
    except StructureError as exc:
        raise PhononFileError(f"the cell in the band.yaml is not usable: {exc}") from None
    if any(m <= 0 for m in masses):
        raise PhononFileError("an atom's mass is not positive")
    return structure, np.array(masses)


def _pieces(segments: Any, q: np.ndarray) -> list[tuple[int, int]]:
    """Continuous pieces: segments joined where one starts at the previous one's end."""
    sizes = segments if isinstance(segments, list) and sum(segments) == len(q) else [len(q)]
    pieces: list[tuple[int, int]] = []
    start = 0
    for size in sizes:
        stop = start + int(size)
        joined = pieces and np.allclose(q[start], q[start - 1], atol=1e-6)
        if joined:
            pieces[-1] = (pieces[-1][0], stop)
        else:
            pieces.append((start, stop))
        start = stop
    return pieces


def _segment_labels(document: dict[str, Any], nq: int) -> dict[int, str]:
    """The top-level ``labels`` (one pair per segment, phonopy >= 2) on the segments' ends."""
    sizes, pairs = document.get("segment_nqpoint"), document.get("labels")
    if not isinstance(sizes, list) or not isinstance(pairs, list) or len(sizes) != len(pairs):
        return {}
    if sum(s for s in sizes if isinstance(s, int)) != nq:
        return {}
    found: dict[int, str] = {}
    start = 0
    for size, pair in zip(sizes, pairs, strict=True):
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair):
            found[start], found[start + size - 1] = _label(pair[0]), _label(pair[1])
        start += size
    return found


def _label(text: str) -> str:
    text = text.strip()
    return _LATEX.get(text, text.replace("$", "").replace("\\", ""))


def _list(value: Any, what: str, length: int | None) -> list[Any]:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        raise PhononFileError(f"'{what}' is not a list" + (f" of {length}" if length else ""))
    return value


def _floats(value: Any, length: int, what: str) -> list[float]:
    if not isinstance(value, list) or len(value) != length:
        raise PhononFileError(f"{what} is not a list of {length} numbers")
    return [_number(v, what) for v in value]


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise PhononFileError(f"{what} is not a number")
    return float(value)


__all__ = ["read_band_yaml"]
