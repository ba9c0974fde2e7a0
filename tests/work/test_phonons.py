"""The phonon visualiser's readers and result on the real example files (scripts/
phonon_examples.py: phonopy + pw.x for silicon, ph.x + matdyn.x for AlAs), checked against the
programs' own outputs: phonopy's band connection, matdyn's frequency and eigenvector files."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import yaml

from matcloud.work.phonons.band_yaml import read_band_yaml
from matcloud.work.phonons.connect import connect
from matcloud.work.phonons.matdyn import read_matdyn_modes, read_pwx
from matcloud.work.phonons.model import THZ_TO_CM1
from matcloud.work.tools.base import ToolError, ToolInput
from matcloud.work.tools.phonons_tool import mode_document, phonons_result, read_phonons

EXAMPLES = Path(__file__).parents[2] / "src" / "matcloud" / "work" / "data" / "phonons"
ORACLES = Path(__file__).parent / "data" / "phonons"
ALAS_MODES = (EXAMPLES / "alas-matdyn.modes").read_text()
ALAS_IN = (EXAMPLES / "alas-scf.in").read_text()
ALAS_OUT = (ORACLES / "alas-scf.out").read_text()


@cache
def _si() -> str:
    return (EXAMPLES / "si-phonopy-band.yaml").read_text()


def _curves(frequencies: np.ndarray, order: np.ndarray, start: int, stop: int) -> np.ndarray:
    return np.take_along_axis(frequencies[start:stop], order[start:stop], axis=1).T


def test_silicon_band_yaml() -> None:
    bands = read_band_yaml(_si())
    assert bands.structure.nsites == 2 and bands.nbands == 6
    assert [name for name, _ in bands.structure.sites] == ["Si", "Si"]
    assert np.allclose(bands.masses, 28.0855, atol=1e-3)
    assert bands.eigenvectors.shape == (bands.nqpoints, 6, 2, 3)
    norms = np.sum(np.abs(bands.eigenvectors) ** 2, axis=(2, 3))
    assert np.allclose(norms, 1.0)
    gamma = [i for i, q in enumerate(bands.qpoints) if np.allclose(q, 0)]
    assert gamma, "the path passes through Γ"
    optical = np.sort(bands.frequencies[gamma[0]])[3:]
    assert np.allclose(optical, optical[0], atol=1e-3) and 14.5 < optical[0] < 16.5
    assert "Γ" in bands.labels.values()


def test_connection_matches_phonopys_own() -> None:
    """Along each of phonopy's segments, every connected curve is one of phonopy's connected
    curves (its band connection, written in the oracle file). phonopy starts each segment
    from the sorted order again; ours follows the branches through a segment's end where the
    next one starts at the same point (X in Γ–X–U), so the comparison is per segment."""
    ours = read_band_yaml(_si())
    theirs = read_band_yaml((ORACLES / "si-phonopy-band-connected.yaml").read_text())
    assert np.allclose(ours.qpoints, theirs.qpoints)
    order = connect(ours)
    identity = np.tile(np.arange(theirs.nbands), (theirs.nqpoints, 1))
    sizes = yaml.safe_load(_si().split("reciprocal_lattice:")[0])["segment_nqpoint"]
    bounds = np.cumsum([0, *sizes])
    assert len(sizes) == 6 and bounds[-1] == ours.nqpoints
    for start, stop in zip(bounds, bounds[1:], strict=False):
        mine = _curves(ours.frequencies, order, start, stop)
        reference = _curves(theirs.frequencies, identity, start, stop)
        for curve in mine:
            assert np.min(np.max(np.abs(reference - curve), axis=1)) < 2e-3


def test_alas_matdyn_modes_with_the_pw_input() -> None:
    crystal, masses, alat = read_pwx(ALAS_IN)
    assert [name for name, _ in crystal.sites] == ["Al", "As"]
    assert np.allclose(masses, [26.98, 74.92], atol=0.01)
    assert alat == pytest.approx(10.5 * 0.529177210903, rel=1e-6)
    bands = read_matdyn_modes(ALAS_MODES, crystal, masses, alat)
    assert bands.nbands == 6
    # the frequencies are matdyn's own (its .freq file, cm^-1)
    assert np.allclose(bands.frequencies * THZ_TO_CM1, _freq_file(), atol=0.02)
    # the eigenvectors recovered from the displacements are matdyn's (.eig file), up to phase
    eig = _eig_file(bands.nqpoints, crystal.nsites)
    fractional = np.array([p for _, p in crystal.sites]) @ np.linalg.inv(np.array(crystal.lattice))
    back = (
        bands.eigenvectors * np.exp(2j * np.pi * (bands.qpoints @ fractional.T))[:, None, :, None]
    )
    overlaps = np.abs(np.sum(back.conj() * eig, axis=(2, 3)))
    lonely = _non_degenerate(bands.frequencies)
    assert np.allclose(overlaps[lonely], 1.0, atol=1e-3)
    # LO-TO splitting at Γ: TO ~ 360, LO ~ 400 cm^-1
    gamma = np.sort(bands.frequencies[0]) * THZ_TO_CM1
    assert np.allclose(gamma[:3], 0, atol=5) and 330 < gamma[3] < 380 < gamma[5] < 430


def test_alas_with_the_pw_output_reads_the_same() -> None:
    from_input = read_phonons(ToolInput(ALAS_MODES.encode(), "m.modes", None, ALAS_IN.encode()))
    from_output = read_phonons(
        ToolInput(ALAS_MODES.encode(), "m.modes", None, ALAS_OUT.encode(), "scf.out")
    )
    assert np.allclose(from_input.qpoints, from_output.qpoints, atol=1e-6)
    assert np.allclose(from_input.structure.lattice, from_output.structure.lattice, atol=1e-5)
    assert np.allclose(from_input.masses, from_output.masses, atol=1e-3)


def test_the_pw_output_cell_is_the_one_ibrav_2_gives() -> None:
    """pw.x's printed crystal axes (alat units) = our ibrav = 2 cell from the input."""
    crystal, _, alat = read_pwx(ALAS_IN)
    axes = re.findall(r"a\(\d\) = \(\s*(\S+)\s+(\S+)\s+(\S+)\s*\)", ALAS_OUT)
    assert np.allclose(np.array(axes[:3], dtype=float) * alat, crystal.lattice, atol=1e-5)


def test_labels_and_result_of_the_alas_path() -> None:
    bands = read_phonons(ToolInput(ALAS_MODES.encode(), "m.modes", None, ALAS_IN.encode()))
    result = phonons_result(bands, {"connect": "eigenvectors"})
    labels = [tick["label"] for tick in result["path"]["ticks"]]
    assert labels[0] == "Γ" and {"X", "L"} <= set("|".join(labels).split("|"))
    assert len(result["branches"]) == 6 and len(result["branches"][0]) == bands.nqpoints
    assert result["formula"] == "AlAs" and not result["imaginary"]
    by_frequency = phonons_result(bands, {"connect": "frequencies"})
    assert by_frequency["connection"] == "frequencies"
    assert all(a <= b for a, b in zip(*by_frequency["branches"][2:4], strict=True))
    mode = mode_document(bands, 10, 5)
    vectors = np.array(mode["displacements"])  # (atoms, 3, re/im)
    assert vectors.shape == (2, 3, 2)
    assert np.max(np.linalg.norm(vectors[..., 0] + 1j * vectors[..., 1], axis=1)) == pytest.approx(
        1
    )
    with pytest.raises(ToolError, match="no mode 6"):
        mode_document(bands, 0, 6)


# -- bad input --------------------------------------------------------------------------------


def _refused(given: ToolInput) -> ToolError:
    with pytest.raises(ToolError) as caught:
        read_phonons(given)
    return caught.value


def test_bad_phonon_inputs_say_what_is_wrong() -> None:
    assert "empty" in _refused(ToolInput(b"", "band.yaml")).message
    assert "binary" in _refused(ToolInput(b"\x00\x01PK\x03", "band.yaml")).message
    document = yaml.safe_load(_si())
    for point in document["phonon"]:
        for band in point["band"]:
            del band["eigenvector"]
    no_vectors = yaml.safe_dump(document)
    assert "no eigenvectors" in _refused(ToolInput(no_vectors.encode(), "band.yaml")).message
    cut = _si()[: len(_si()) // 2].rsplit("\n", 3)[0] + "\n  - [ 0.1, "
    error = _refused(ToolInput(cut.encode(), "band.yaml"))
    assert error.status == 422 and "line" in error.message
    lonely = _refused(ToolInput(ALAS_MODES.encode(), "matdyn.modes"))
    assert lonely.status == 400 and "pw.x" in lonely.message
    one_atom = ALAS_IN.replace("nat=  2", "nat=  1").replace("nat = 2", "nat = 1")
    one_atom = re.sub(r"\n\s*As\s+0\.25.*", "", one_atom)
    mismatch = _refused(ToolInput(ALAS_MODES.encode(), "m.modes", None, one_atom.encode()))
    assert "atoms" in mismatch.message and "line" in mismatch.message
    garbage = ALAS_MODES.replace("freq (    3)", "freq (    3) oops", 1)
    broken = _refused(ToolInput(garbage.encode(), "m.modes", None, ALAS_IN.encode()))
    assert broken.status == 422 and "line" in broken.message
    wrong = _refused(ToolInput(_si().encode(), "x.txt", "matdyn", ALAS_IN.encode()))
    assert wrong.status == 422 and "line 4: cannot read this line" in wrong.message
    unknown = _refused(ToolInput(b"hello world\n", "notes.txt"))
    assert unknown.status == 400 and unknown.field == "format"
    huge = b"natom: 1000\n" + b"#" * 100
    assert _refused(ToolInput(huge, "band.yaml")).status == 413
    oversized = _refused(ToolInput(b"#" * (16 * 1024 * 1024 + 1), "band.yaml"))
    assert oversized.status == 413


# -- the oracles' files ----------------------------------------------------------------------


def _freq_file() -> np.ndarray:
    """matdyn's flfrq file: a header (nbnd, nks), then per q-point its q line and its
    frequencies (cm^-1) on following lines."""
    text = (ORACLES / "alas-matdyn.freq").read_text()
    header = re.search(r"nbnd=\s*(\d+),\s*nks=\s*(\d+)", text)
    assert header is not None
    nbnd, nks = int(header.group(1)), int(header.group(2))
    numbers = [float(x) for x in text[header.end() :].replace("/", " ").split()]
    rows = np.array(numbers).reshape(nks, 3 + nbnd)
    frequencies: np.ndarray = rows[:, 3:]
    return frequencies


def _eig_file(nq: int, natoms: int) -> np.ndarray:
    """matdyn's fleig file: same layout as matdyn.modes, eigenvectors instead."""
    text = (ORACLES / "alas-matdyn.eig").read_text()
    values = [
        [float(x) for x in line.strip()[1:-1].split()]
        for line in text.splitlines()
        if line.strip().startswith("(")
    ]
    raw = np.array(values).reshape(nq, 3 * natoms, natoms, 6)
    eig: np.ndarray = raw[..., 0::2] + 1j * raw[..., 1::2]
    return eig


def _non_degenerate(frequencies: np.ndarray) -> np.ndarray:
    gaps = np.abs(frequencies[:, :, None] - frequencies[:, None, :])
    gaps[:, np.arange(frequencies.shape[1]), np.arange(frequencies.shape[1])] = np.inf
    lonely: np.ndarray = np.min(gaps, axis=2) > 1e-3
    return lonely


def test_the_line_reader_and_the_yaml_parser_agree() -> None:
    """phonopy's own layout is read line by line (10x faster); any other layout of the same
    YAML (here: the document re-dumped by PyYAML) goes to the YAML parser, same result."""
    from matcloud.work.phonons import band_yaml

    assert band_yaml._fast_document(_si()) is not None
    fast = read_band_yaml(_si())
    redumped = yaml.safe_dump(yaml.safe_load(_si()), allow_unicode=True)
    assert band_yaml._fast_document(redumped) is None
    slow = read_band_yaml(redumped)
    assert np.array_equal(fast.frequencies, slow.frequencies)
    assert np.array_equal(fast.eigenvectors, slow.eigenvectors)
    assert np.array_equal(fast.qpoints, slow.qpoints)
    assert fast.labels == slow.labels and fast.pieces == slow.pieces
