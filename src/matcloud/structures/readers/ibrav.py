"""Quantum ESPRESSO's Bravais-lattice index: the cell of a pw.x input with ``ibrav != 0``.

pw.x builds the cell from ``ibrav`` and ``celldm(1..6)`` (bohr) or ``A, B, C, cosAB, cosAC,
cosBC`` (Å); ASE only reads ``ibrav = 0`` inputs. :func:`ibrav_cell` implements pw.x's
formulas (its ``latgen``, as documented in INPUT_PW) and :func:`explicit_cell` rewrites an
input into the ``ibrav = 0`` form ASE reads: the same namelists with ``ibrav = 0`` and the
cell as a ``CELL_PARAMETERS alat`` card (in units of ``celldm(1)``/``A``, which stay: they
are also the ``alat`` of ``ATOMIC_POSITIONS alat``). The lattices whose pw.x setting is
rarely used (13, -13, -12, 91) are refused with a message.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping
from typing import Any

from ase.io.espresso import read_fortran_namelist
from ase.units import Bohr

from matcloud.structures.model import StructureError

Cell = list[list[float]]
_IBRAV = re.compile(r"\bibrav\s*=\s*[-+]?\d+", re.IGNORECASE)
_A = re.compile(r"(?<![\w(%])a\s*=\s*[^,\s/]+", re.IGNORECASE)
SUPPORTED = (1, 2, 3, -3, 4, 5, -5, 6, 7, 8, 9, -9, 10, 11, 12, 14)


def celldm_of(system: Mapping[str, Any]) -> dict[int, float]:
    """``celldm(1..6)`` as pw.x derives them: given, or from ``A, B, C, cos..`` (Å)."""
    keys = {str(k).lower(): v for k, v in system.items()}
    celldm = {i: float(keys[f"celldm({i})"]) for i in range(1, 7) if f"celldm({i})" in keys}
    if "a" in keys:
        if celldm:
            raise StructureError("the pw.x input gives both celldm and A: give one of them")
        a = float(keys["a"])
        ibrav = int(keys.get("ibrav", 0))
        celldm = {1: a / Bohr}
        if "b" in keys:
            celldm[2] = float(keys["b"]) / a
        if "c" in keys:
            celldm[3] = float(keys["c"]) / a
        cos_ab, cos_ac, cos_bc = (float(keys.get(k, 0.0)) for k in ("cosab", "cosac", "cosbc"))
        if ibrav == 14:
            celldm.update({4: cos_bc, 5: cos_ac, 6: cos_ab})
        else:
            celldm[4] = cos_ab
    return celldm


def ibrav_cell(ibrav: int, celldm: Mapping[int, float]) -> Cell:
    """The cell vectors (rows, bohr) pw.x builds for ``ibrav`` and ``celldm``."""
    if ibrav not in SUPPORTED:
        raise StructureError(
            f"ibrav = {ibrav} is not supported here: give the cell as CELL_PARAMETERS "
            "(ibrav = 0), or upload the pw.x output, which prints the cell"
        )
    a = celldm.get(1, 0.0)
    if not a > 0:
        raise StructureError(f"ibrav = {ibrav} needs celldm(1) (or A) > 0")

    def need(i: int) -> float:
        if i not in celldm:
            raise StructureError(f"ibrav = {ibrav} needs celldm({i})")
        return float(celldm[i])

    if ibrav == 1:
        return [[a, 0, 0], [0, a, 0], [0, 0, a]]
    if ibrav == 2:
        h = a / 2
        return [[-h, 0, h], [0, h, h], [-h, h, 0]]
    if ibrav in (3, -3):
        h = a / 2
        if ibrav == 3:
            return [[h, h, h], [-h, h, h], [-h, -h, h]]
        return [[-h, h, h], [h, -h, h], [h, h, -h]]
    if ibrav == 4:
        return [[a, 0, 0], [-a / 2, a * math.sqrt(3) / 2, 0], [0, 0, a * need(3)]]
    if ibrav in (5, -5):
        cos_g = need(4)
        tx, ty = math.sqrt((1 - cos_g) / 2), math.sqrt((1 - cos_g) / 6)
        tz = math.sqrt((1 + 2 * cos_g) / 3)
        if ibrav == 5:
            return [[a * tx, -a * ty, a * tz], [0, 2 * a * ty, a * tz], [-a * tx, -a * ty, a * tz]]
        u, v = tz - 2 * math.sqrt(2) * ty, tz + math.sqrt(2) * ty
        s = a / math.sqrt(3)
        return [[s * u, s * v, s * v], [s * v, s * u, s * v], [s * v, s * v, s * u]]
    if ibrav == 6:
        return [[a, 0, 0], [0, a, 0], [0, 0, a * need(3)]]
    if ibrav == 7:
        c = need(3)
        h = a / 2
        return [[h, -h, h * c], [h, h, h * c], [-h, -h, h * c]]
    b, c = a * need(2), a * need(3)
    if ibrav == 8:
        return [[a, 0, 0], [0, b, 0], [0, 0, c]]
    if ibrav == 9:
        return [[a / 2, b / 2, 0], [-a / 2, b / 2, 0], [0, 0, c]]
    if ibrav == -9:
        return [[a / 2, -b / 2, 0], [a / 2, b / 2, 0], [0, 0, c]]
    if ibrav == 10:
        return [[a / 2, 0, c / 2], [a / 2, b / 2, 0], [0, b / 2, c / 2]]
    if ibrav == 11:
        return [[a / 2, b / 2, c / 2], [-a / 2, b / 2, c / 2], [-a / 2, -b / 2, c / 2]]
    if ibrav == 12:
        cos_g = need(4)
        sin_g = math.sqrt(1 - cos_g**2)
        return [[a, 0, 0], [b * cos_g, b * sin_g, 0], [0, 0, c]]
    cos_a, cos_b, cos_g = need(4), need(5), need(6)
    sin_g = math.sqrt(1 - cos_g**2)
    volume_term = 1 + 2 * cos_a * cos_b * cos_g - cos_a**2 - cos_b**2 - cos_g**2
    if volume_term <= 0 or sin_g == 0:
        raise StructureError("ibrav = 14: the angles celldm(4..6) describe no cell")
    return [
        [a, 0, 0],
        [b * cos_g, b * sin_g, 0],
        [c * cos_b, c * (cos_a - cos_b * cos_g) / sin_g, c * math.sqrt(volume_term) / sin_g],
    ]


def namelists(text: str) -> dict[str, dict[str, Any]]:
    """The Fortran namelists of a pw.x input (ASE's reader), keys lower-cased."""
    try:
        sections, _ = read_fortran_namelist(io.StringIO(text))  # type: ignore[no-untyped-call]
    except Exception as exc:  # ASE's namelist reader raises anything on bad input
        raise StructureError(f"the pw.x namelists cannot be read: {exc}") from exc
    return {str(name): dict(values) for name, values in sections.items()}


def explicit_cell(text: str) -> str:
    """The pw.x input with ``ibrav = 0`` and a ``CELL_PARAMETERS alat`` card (the cell kept
    when ``ibrav`` is already 0), and ``A`` (Å) given as ``celldm(1)`` (bohr)."""
    system = namelists(text).get("system", {})
    ibrav = int(system.get("ibrav", 0))
    celldm = celldm_of(system)
    if "a" in {str(k).lower() for k in system}:
        # ASE looks for "A" among the namelist keys it has lower-cased: give it celldm(1)
        text = _A.sub(f"celldm(1) = {celldm[1]:.14f}", text, count=1)
    if ibrav == 0:
        return text
    cell = ibrav_cell(ibrav, celldm)
    card = "CELL_PARAMETERS alat\n" + "".join(
        " ".join(f"{x / celldm[1]:.14f}" for x in row) + "\n" for row in cell
    )
    return _IBRAV.sub("ibrav = 0", text, count=1).rstrip("\n") + "\n" + card


__all__ = ["SUPPORTED", "celldm_of", "explicit_cell", "ibrav_cell", "namelists"]
