"""Writing structures: every format round-trips through our own readers (same atoms, same
cell up to the format's conventions), and what a format cannot hold is refused clearly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from matcloud.structures import Species, Structure, StructureError, read_structures
from matcloud.structures.writers import WRITERS, write_structure

NAMES = {
    "cif": "out.cif",
    "poscar": "POSCAR",
    "xsf": "out.xsf",
    "extxyz": "out.extxyz",
    "pwscf": "out.pwi",
}
PEROVSKITE = Structure(
    lattice=((3.9, 0.0, 0.0), (0.0, 3.9, 0.0), (0.0, 0.0, 4.1)),
    pbc=(True, True, True),
    species=tuple(Species(s, (s,), (1.0,)) for s in ("Sr", "Ti", "O")),
    sites=(
        ("Sr", (0.0, 0.0, 0.0)),
        ("Ti", (1.95, 1.95, 2.05)),
        ("O", (1.95, 1.95, 0.0)),
        ("O", (1.95, 0.0, 2.05)),
        ("O", (0.0, 1.95, 2.05)),
    ),
)


def composition(structure: Structure) -> dict[str, float]:
    return {k: round(v, 6) for k, v in structure.composition().items()}


@pytest.mark.parametrize("fmt", sorted(NAMES))
def test_round_trip(fmt: str) -> None:
    text = write_structure(PEROVSKITE, fmt)
    (back,) = read_structures(text.encode(), NAMES[fmt])
    assert composition(back) == composition(PEROVSKITE)
    assert back.volume == pytest.approx(PEROVSKITE.volume, rel=1e-6)
    lengths = sorted(np.linalg.norm(np.array(back.lattice), axis=1))
    assert lengths == pytest.approx(sorted(np.linalg.norm(np.array(PEROVSKITE.lattice), axis=1)))
    if fmt != "cif":  # CIF re-orients the cell from a, b, c, alpha, beta, gamma
        original = sorted(tuple(round(x, 5) for x in p) for _, p in PEROVSKITE.sites)
        again = sorted(tuple(round(x, 5) for x in p) for _, p in back.sites)
        assert again == original


def test_optimade_json_keeps_disorder() -> None:
    alloy = Structure(
        lattice=((3.6, 0, 0), (0, 3.6, 0), (0, 0, 3.6)),
        pbc=(True, True, True),
        species=(Species("CuAu", ("Cu", "Au"), (0.5, 0.5)),),
        sites=(("CuAu", (0.0, 0.0, 0.0)),),
    )
    document = json.loads(write_structure(alloy, "optimade"))
    assert document["species"][0]["concentration"] == [0.5, 0.5]
    for fmt in NAMES:
        with pytest.raises(StructureError, match="partial occupancy"):
            write_structure(alloy, fmt)


def test_a_molecule_has_no_poscar_or_pw_input() -> None:
    water = Structure(
        lattice=None,
        pbc=(False, False, False),
        species=(Species("O", ("O",), (1.0,)), Species("H", ("H",), (1.0,))),
        sites=(("O", (0.0, 0.0, 0.0)), ("H", (0.76, 0.59, 0.0)), ("H", (-0.76, 0.59, 0.0))),
    )
    for fmt in ("poscar", "pwscf"):
        with pytest.raises(StructureError, match="cell|lattice"):
            write_structure(water, fmt)
    (back,) = read_structures(write_structure(water, "extxyz").encode(), "w.extxyz")
    assert back.nsites == 3 and back.lattice is None
    with pytest.raises(StructureError, match="unknown output format"):
        write_structure(water, "pdf")
    assert set(WRITERS) == {*NAMES, "optimade"}


def test_pw_input_has_only_the_namelists_pw_reads_for_scf() -> None:
    text = write_structure(PEROVSKITE, "pwscf")
    assert "&FCP" not in text and "&RISM" not in text and "&IONS" not in text
    assert "K_POINTS automatic" in text and "ATOMIC_SPECIES" in text and "Sr.UPF" in text
