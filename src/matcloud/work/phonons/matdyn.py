"""Quantum ESPRESSO's ``matdyn.modes`` (``flvec``) with the pw.x input or output of the same
crystal -> :class:`PhononBands`.

``matdyn.modes`` lists, per q-point (Cartesian, units of 2π/alat), each mode's frequency
(THz and cm^-1) and its normalised displacement pattern (the eigenvector divided by the
square root of each atom's mass, normalised), one ``( re im re im re im )`` line per atom.
It names neither the atoms nor the cell: they come from the pw.x file, with the masses
(ATOMIC_SPECIES, or pw.x's table of species) and ``alat``. The mass-weighted eigenvectors
are recovered (``u * sqrt(m)``, normalised) and put in the atomic-position phase convention.
"""

from __future__ import annotations

import re

import numpy as np
from ase.data import atomic_masses, atomic_numbers
from ase.units import Bohr

from matcloud.structures import Structure, StructureError
from matcloud.structures.readers import FORMATS
from matcloud.structures.readers._ase import atoms_to_structure, read_frames
from matcloud.structures.readers.ibrav import celldm_of, namelists
from matcloud.work.phonons.model import PhononBands, PhononFileError, atom_phase, normalised

_NUMBER = r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eEdD][-+]?\d+)?"
_Q = re.compile(rf"^\s*q\s*=\s*({_NUMBER})\s*({_NUMBER})\s*({_NUMBER})\s*$")
_FREQ = re.compile(
    rf"^\s*(?:freq|omega)\s*\(\s*(\d+)\s*\)\s*=\s*({_NUMBER})\s*\[THz\]\s*=\s*({_NUMBER})"
    r"\s*\[cm-1\]",
    re.IGNORECASE,
)
_VECTOR = re.compile(rf"^\s*\(\s*((?:{_NUMBER}\s*){{6}})\)\s*$")
_FLOAT = re.compile(_NUMBER)
_ALAT_OUT = re.compile(rf"lattice parameter \(alat\)\s*=\s*({_NUMBER})\s*a\.u\.")
_SPECIES_OUT = re.compile(
    rf"^\s*atomic species\s+valence\s+mass\s+pseudopotential\s*\n((?:\s*\S+\s+{_NUMBER}\s+"
    rf"{_NUMBER}\s+.*\n)+)",
    re.MULTILINE | re.IGNORECASE,
)
_SPECIES_IN = re.compile(r"^\s*ATOMIC_SPECIES\b[^\n]*\n((?:[^\n]*\n?)*)", re.M | re.I)


def _float(text: str) -> float:
    return float(text.replace("d", "e").replace("D", "e"))


def read_matdyn_modes(
    text: str, crystal: Structure, masses: np.ndarray, alat: float
) -> PhononBands:
    """``alat`` in Å; ``masses`` one per site, in the order of the pw.x file (matdyn's)."""
    natoms = crystal.nsites
    qpoints: list[list[float]] = []
    frequencies: list[list[float]] = []
    vectors: list[list[list[complex]]] = []
    mode: list[complex] | None = None  # the displacements of the mode being read
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if match := _Q.match(line):
            _close(frequencies, vectors, natoms, number)
            qpoints.append([_float(g) for g in match.groups()])
            frequencies.append([])
            vectors.append([])
        elif match := _FREQ.match(line):
            if not qpoints:
                raise PhononFileError("a frequency comes before any 'q =' line", number)
            if int(match.group(1)) != len(frequencies[-1]) + 1:
                raise PhononFileError(f"mode {match.group(1)} is out of order", number)
            frequencies[-1].append(_float(match.group(2)))
            vectors[-1].append([])
            mode = vectors[-1][-1]
        elif match := _VECTOR.match(line):
            if mode is None:
                raise PhononFileError("a displacement line comes before any 'freq' line", number)
            re_x, im_x, re_y, im_y, re_z, im_z = (_float(x) for x in _FLOAT.findall(match[1]))
            mode.extend([complex(re_x, im_x), complex(re_y, im_y), complex(re_z, im_z)])
            if len(mode) > 3 * natoms:
                raise PhononFileError(
                    f"more displacement lines than the {natoms} atoms of the pw.x file", number
                )
        elif line.strip().startswith("(") or _looks_numeric(line):
            raise PhononFileError(f"cannot read this line: {line.strip()[:60]!r}", number)
    _close(frequencies, vectors, natoms, len(lines))
    if not qpoints:
        raise PhononFileError("no 'q =' line: this is not a matdyn.modes file")
    nbands = 3 * natoms
    displacement = np.array(vectors, dtype=complex).reshape(len(qpoints), nbands, natoms, 3)
    lattice = np.array(crystal.lattice, dtype=float)
    # q (2π/alat, Cartesian) -> reduced coordinates: q_i = q_cart · a_i / alat
    reduced = np.array(qpoints) @ lattice.T / alat
    fractional = np.array([p for _, p in crystal.sites]) @ np.linalg.inv(lattice)
    eigen = normalised(displacement * np.sqrt(masses)[None, None, :, None])
    return PhononBands(
        structure=crystal,
        masses=masses,
        qpoints=reduced,
        frequencies=np.array(frequencies),
        eigenvectors=atom_phase(eigen, reduced, fractional),
        pieces=_pieces(reduced @ np.linalg.inv(lattice).T),
        source="Quantum ESPRESSO matdyn.modes",
    )


def _looks_numeric(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and stripped[0] in "-+0123456789." and not stripped.startswith("*")


def _close(
    frequencies: list[list[float]], vectors: list[list[list[complex]]], natoms: int, line: int
) -> None:
    """Check the q-point just read: 3 x natoms modes of natoms lines each."""
    if not frequencies:
        return
    if len(frequencies[-1]) != 3 * natoms:
        raise PhononFileError(
            f"a q-point lists {len(frequencies[-1])} modes; the {natoms} atoms of the pw.x "
            f"file have {3 * natoms} (is the pw.x file the one of this matdyn run?)",
            line,
        )
    for mode in vectors[-1]:
        if len(mode) != 3 * natoms:
            raise PhononFileError(
                f"a mode has {len(mode) // 3} displacement lines; the pw.x file has {natoms} atoms",
                line,
            )


def _pieces(q_cartesian: np.ndarray) -> list[tuple[int, int]]:
    """Continuous pieces of a flat q list: a step far longer than the usual one is a jump
    (``U|K``), as is a repeated point (matdyn's way of starting a new segment there)."""
    if len(q_cartesian) < 3:
        return [(0, len(q_cartesian))]
    steps = np.linalg.norm(np.diff(q_cartesian, axis=0), axis=1)
    usual = float(np.median(steps[steps > 1e-9])) if np.any(steps > 1e-9) else 0.0
    starts = [0] + [i + 1 for i, s in enumerate(steps) if usual and s > 4 * usual]
    bounds = [*starts, len(q_cartesian)]
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


# -- the pw.x file ---------------------------------------------------------------------------


def read_pwx(text: str) -> tuple[Structure, np.ndarray, float]:
    """The crystal, its masses (per site) and ``alat`` (Å) of a pw.x input or output."""
    if "Program PWSCF" in text or _ALAT_OUT.search(text):
        return _pwx_output(text)
    try:
        crystal = FORMATS["pwscf"](text)[0]
    except (StructureError, IndexError) as exc:
        raise PhononFileError(
            f"the pw.x file is not a readable pw.x input or output: {exc}"
        ) from None
    system = namelists(text).get("system", {})
    celldm = celldm_of(system)
    if 1 in celldm:
        alat = celldm[1] * Bohr
    else:  # CELL_PARAMETERS in bohr or Å without celldm: pw.x takes |a1|
        alat = float(np.linalg.norm(crystal.lattice[0]))  # type: ignore[index]
    species = _species_masses(_SPECIES_IN, text)
    return crystal, _site_masses(crystal, species), alat


def _pwx_output(text: str) -> tuple[Structure, np.ndarray, float]:
    match = _ALAT_OUT.search(text)
    if match is None:
        raise PhononFileError("the pw.x output has no 'lattice parameter (alat)' line")
    try:
        frames = read_frames(text, "espresso-out", "pw.x output")
    except StructureError as exc:
        raise PhononFileError(str(exc)) from None
    if not frames:
        raise PhononFileError("the pw.x output holds no structure")
    crystal = atoms_to_structure(frames[0])  # the input geometry: matdyn's
    species = _species_masses(_SPECIES_OUT, text)
    return crystal, _site_masses(crystal, species), _float(match.group(1)) * Bohr


def _species_masses(pattern: re.Pattern[str], text: str) -> dict[str, float]:
    match = pattern.search(text)
    masses: dict[str, float] = {}
    if match is None:
        return masses
    for line in match.group(1).splitlines():
        parts = line.split()
        if len(parts) < 2:
            break
        numbers = _FLOAT.findall(" ".join(parts[1:3]))
        if not numbers:
            break
        masses[parts[0]] = _float(numbers[-1] if pattern is _SPECIES_OUT else numbers[0])
    return masses


def _site_masses(crystal: Structure, species: dict[str, float]) -> np.ndarray:
    masses = []
    for name, _ in crystal.sites:
        element = re.match(r"[A-Z][a-z]?", name)
        mass = species.get(name)
        if mass is None or mass <= 0:
            if element is None or element.group(0) not in atomic_numbers:
                raise PhononFileError(f"no mass for the atoms {name!r}")
            mass = float(atomic_masses[atomic_numbers[element.group(0)]])
        masses.append(mass)
    return np.array(masses)


__all__ = ["read_matdyn_modes", "read_pwx"]
