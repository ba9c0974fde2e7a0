"""Hostile and broken input: always a StructureError with a message, never a hang or a crash."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from matcloud.structures import (
    MAX_FILE_BYTES,
    MAX_SITES,
    StructureError,
    optimade_properties,
    read_structures,
)

DATA = Path(__file__).resolve().parent / "data"
NACL = (DATA / "nacl.cif").read_bytes()
POSCAR = (DATA / "MoS2_monolayer.POSCAR").read_bytes()
PWI = (DATA / "ni3al.pwi").read_bytes()
XSF = (DATA / "zno_wurtzite.xsf").read_bytes()
XYZ = (DATA / "molecules.extxyz").read_bytes()
COUNTS = b"     1     2"
JUNK = random.Random(0).randbytes(4000)

CASES: dict[str, tuple[str, bytes, str]] = {
    "empty": ("a.cif", b"", "is empty"),
    "whitespace": ("a.xyz", b" \n\t\n", "is empty"),
    "binary junk": ("a.cif", JUNK, "binary"),
    "high bytes": ("a.cif", b"\xc5" * 4000, "could not read"),
    "control characters": ("POSCAR", b"\x01\x02\x03abc\x04\x05" * 20, "binary"),
    "not a structure name": ("notes.txt", b"hello", "not a structure file"),
    "truncated cif in a loop": ("a.cif", NACL[: NACL.index(b"Na1") + 10], "incomplete row"),
    "truncated cif header": ("a.cif", NACL[:300], "ends before"),
    "cif without atoms": ("a.cif", b"data_x\n_cell_length_a 5\n", "no atom sites"),
    "cif bad cell": ("a.cif", NACL.replace(b"5.6400", b"?"), "could not read"),
    "cif fractional without cell": ("a.cif", NACL.replace(b"5.6400", b"0"), "no cell"),
    "cif unknown space group": (
        "a.cif",
        NACL.replace(b"_space_group_symop_operation_xyz", b"_x").replace(b"225", b"999"),
        "invalid spacegroup",
    ),
    "cif overlapping atoms": (
        "a.cif",
        NACL.replace(b"Cl1 Cl 0.50000 0.50000 0.50000", b"Cl1 Cl 0.00000 0.00000 0.00000"),
        "share a position",
    ),
    "cif occupancy above one": ("a.cif", NACL.replace(b"1.0\nCl1", b"7.0\nCl1"), "occupancy 7"),
    "cif nan coordinate": ("a.cif", NACL.replace(b"Cl1 Cl 0.50000", b"Cl1 Cl nan"), "finite"),
    "cif unknown coordinate": ("a.cif", NACL.replace(b"Cl1 Cl 0.50000", b"Cl1 Cl ?"), "number"),
    "cif unknown element": ("a.cif", NACL.replace(b"Cl1 Cl", b"Qq1 Qq"), "not a chemical"),
    "poscar counts exceed lines": ("POSCAR", POSCAR.replace(COUNTS, b"     1     5"), "6 atoms"),
    "poscar names vs counts": ("POSCAR", POSCAR.replace(COUNTS, b"     1"), "names 2 elements"),
    "poscar 10 GB claim": ("POSCAR", POSCAR.replace(COUNTS, b"     1  10000000000"), "at most"),
    "poscar negative count": ("POSCAR", POSCAR.replace(COUNTS, b"     1    -2"), "negative"),
    "poscar nan coordinate": ("POSCAR", POSCAR.replace(b"0.5780000000000000", b"nan"), "finite"),
    "poscar infinite cell": ("POSCAR", POSCAR.replace(b"3.1900000000000000", b"inf"), "finite"),
    "poscar too short": ("POSCAR", b"x\n1.0\n1 0 0\n", "at least 8 lines"),
    "poscar degenerate cell": ("POSCAR", POSCAR.replace(b"20.0000000000000000", b"0.0"), "degen"),
    "poscar without element names": (
        "POSCAR",
        POSCAR.replace(POSCAR.split(b"\n")[0], b"a slab").replace(b"   Mo   S\n", b""),
        "does not name its elements",
    ),
    "xyz 10 GB claim": ("a.xyz", b"10000000000\ncomment\nH 0 0 0\n", "at most"),
    "xyz above max sites": ("a.xyz", f"{MAX_SITES + 1}\n\nH 0 0 0\n".encode(), "at most"),
    "xyz negative count": ("a.xyz", b"-3\ncomment\nH 0 0 0\n", "at least one atom"),
    "xyz truncated": ("a.xyz", b"3\ncomment\nH 0 0 0\n", "ends first"),
    "xyz not a count": ("a.xyz", b"abc\n", "number of atoms"),
    "xyz nan": ("a.xyz", b"1\ncomment\nH nan 0 0\n", "finite"),
    "xyz unknown element": ("a.xyz", b"1\n\nQq 0 0 0\n", "unknown element"),
    "extxyz periodic without cell": ("a.extxyz", b'1\npbc="T T T"\nH 0 0 0\n', "no cell"),
    "extxyz truncated frame": ("a.extxyz", XYZ[:-60], "ends first"),
    "xsf 10 GB claim": ("a.xsf", XSF.replace(b"  4 1", b"  10000000000 1"), "at most"),
    "xsf endless animation": ("a.xsf", b"ANIMSTEPS 100000000000\n" + XSF, "at most"),
    "xsf truncated": ("a.xsf", XSF[:200], "ends before"),
    "pw.x ibrav": ("pw.in", PWI.replace(b"ibrav = 0", b"ibrav = 2"), "ibrav"),
    "pw.x no nat": ("pw.in", PWI.replace(b"nat = 4", b""), "no 'nat'"),
    "pw.x 10 GB claim": ("pw.in", PWI.replace(b"nat = 4", b"nat = 10000000000"), "nat ="),
    "pw.x more atoms than listed": ("pw.in", PWI.replace(b"nat = 4", b"nat = 5"), "could not"),
    "pw.x overflowing expression": (
        "pw.in",
        PWI.replace(b"Al  0.0  0.0  0.0", b"Al  9^9^9^9  0.0  0.0"),
        "could not",
    ),
    "pw.x deeply nested expression": (
        "pw.in",
        PWI.replace(b"Al  0.0  0.0  0.0", b"Al  " + b"1+" * 5000 + b"1  0.0  0.0"),
        "nested too deeply",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_hostile_input_is_refused_with_a_message(case: str) -> None:
    filename, data, message = CASES[case]
    start = time.perf_counter()
    with pytest.raises(StructureError, match=message):
        read_structures(data, filename)
    assert time.perf_counter() - start < 5


def test_files_over_the_size_limit_are_refused_unread() -> None:
    with pytest.raises(StructureError, match="MiB"):
        read_structures(b"#" * (MAX_FILE_BYTES + 1), "huge.cif")


def test_a_frame_of_max_sites_is_accepted() -> None:
    body = "".join(f"H {i * 0.8:.1f} 0 0\n" for i in range(MAX_SITES))
    [chain] = read_structures(f"{MAX_SITES}\n\n{body}".encode(), "chain.xyz")
    assert chain.nsites == MAX_SITES


@pytest.mark.parametrize(
    "source",
    [
        "nacl.cif",
        "si_diamond.cif",
        "partial_occupancy.cif",
        "MoS2_monolayer.POSCAR",
        "molecules.extxyz",
        "zno_wurtzite.xsf",
        "ni3al.pwi",
    ],
)
def test_mutated_files_never_escape_as_another_exception(source: str) -> None:
    """Truncations, dropped/duplicated lines and flipped characters of every data file."""
    original = (DATA / source).read_bytes()
    rng = random.Random(source)
    for _ in range(150):
        data = mutate(original, rng)
        try:
            structures = read_structures(data, source)
        except StructureError as error:
            assert str(error)
            continue
        for structure in structures:
            optimade_properties(structure)


def mutate(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    kind = rng.randrange(5)
    if kind == 0:
        return data[: rng.randrange(len(data))]
    if kind == 1:
        del lines[rng.randrange(len(lines))]
    elif kind == 2:
        index = rng.randrange(len(lines))
        lines.insert(index, lines[index])
    elif kind == 3:
        index = rng.randrange(len(lines))
        lines[index] = b" ".join(rng.sample(lines[index].split() or [b"x"], k=1) * 2)
    else:
        noise = bytes(rng.choice(b"0123456789.-+eE()'\"#;_ xyzXQ") for _ in range(8))
        position = rng.randrange(len(data))
        return data[:position] + noise + data[position + 8 :]
    return b"\n".join(lines)
