"""Compute the phonon examples that the phonon visualiser ships, for real, with Quantum ESPRESSO
(Debian's pw.x, ph.x, q2r.x, matdyn.x) and phonopy. Nothing here is typed in by hand: every
number in the written files comes out of those programs.

Run it with ``make phonon-examples``: the target installs Debian's ``quantum-espresso`` and
``quantum-espresso-data`` when ``pw.x`` is missing, builds ``.venv-phonopy`` from
``scripts/phonopy-requirements.txt`` once, and runs::

    OMP_NUM_THREADS=1 PYTHONUTF8=1 .venv-phonopy/bin/python scripts/phonon_examples.py

By default pw.x and ph.x run under ``mpirun -np 2`` with two k-point pools (``--np 1`` runs them
serially, about twice as long; the last digits of the results depend on the number of
processes), q2r.x and matdyn.x serially; ``--only si`` or ``--only alas`` redoes one material,
``--keep-workdir`` keeps the scratch folder. The whole run takes about 10 minutes on 2 cores.
The outputs are committed, so the target is part of neither ``make run`` nor ``make test``.
Everything runs in a temporary folder; only the files below are written into the repository.

Silicon, finite displacements (phonopy + pw.x):
    Diamond Si, conventional cubic cell a = 5.43 Å, standardised by SeeK-path
    (``seekpath.get_path``); SeeK-path's primitive 2-atom cell is phonopy's unit cell, so the
    q-points of its suggested path are fractions of that cell's reciprocal lattice and the labels
    match. Supercell 3x3x3 of the primitive cell (54 atoms), phonopy's symmetry-reduced
    displacements of 0.01 Å (one for diamond), forces from pw.x: LDA, Si.pz-vbc.UPF,
    ecutwfc 20 Ry, 2x2x2 Γ-centred k-mesh of the supercell, conv_thr 1e-10 Ry, tprnfor. Force
    constants by phonopy (translational and permutation symmetry imposed by
    ``symmetrize_force_constants``), phonons along SeeK-path's path with 41 q-points per segment
    (both ends included), "GAMMA" written "Γ". Written:
    ``src/matcloud/work/data/phonons/si-phonopy-band.yaml`` (phonopy's band.yaml with
    eigenvectors, bands in ascending order at each q-point) and the test oracle
    ``tests/work/data/phonons/si-phonopy-band-connected.yaml`` (the same path with phonopy's own
    band connection).

AlAs, density-functional perturbation theory (pw.x, ph.x, q2r.x, matdyn.x):
    Zincblende AlAs as in PHonon example02 of Quantum ESPRESSO: ibrav=2, celldm(1) = 10.50 bohr,
    LDA, Al.pz-vbc.UPF and As.pz-bhs.UPF, ecutwfc 16 Ry, 4x4x4 shifted Monkhorst-Pack k-mesh,
    conv_thr 1e-10 Ry; ph.x on a 4x4x4 q-grid (ldisp, tr2_ph 1e-14), which for an insulator
    also computes the dielectric tensor and Born effective charges at Γ, so that the LO-TO
    splitting is in the interpolated dispersion; q2r.x with zasr='simple'; matdyn.x with
    asr='simple' along SeeK-path's path for the fcc cell, given in band form (high-symmetry
    points in Cartesian units of 2π/alat, 40 points per segment). Written: the scf input
    ``src/matcloud/work/data/phonons/alas-scf.in`` and matdyn's normalised displacements
    ``alas-matdyn.modes`` (flvec) beside it; in ``tests/work/data/phonons/`` the scf output
    ``alas-scf.out``, matdyn's input ``alas-matdyn.in``, frequencies ``alas-matdyn.freq`` and
    ``alas-matdyn.freq.gp`` (flfrq) and eigenvectors ``alas-matdyn.eig`` (fleig).

``src/matcloud/work/data/phonons/README.md`` is written last, with the program versions and the
frequencies at Γ read back from the written files.
"""

from __future__ import annotations

import argparse
import locale
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import phonopy
import seekpath
import spglib
import yaml
from numpy.typing import NDArray
from phonopy import Phonopy
from phonopy.interface.qe import parse_set_of_forces
from phonopy.phonon.band_structure import get_band_qpoints_and_path_connections
from phonopy.physical_units import get_physical_units
from phonopy.structure.atoms import PhonopyAtoms

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "src" / "matcloud" / "work" / "data" / "phonons"
ORACLES = ROOT / "tests" / "work" / "data" / "phonons"
#: Debian's quantum-espresso-data puts the pseudopotentials of the QE examples here.
PSEUDO_DIR = Path("/usr/share/espresso/pseudo")
QE_PROGRAMS = ("pw.x", "ph.x", "q2r.x", "matdyn.x")
#: Run under mpirun with --np > 1; q2r.x and matdyn.x take under a second, serially.
PARALLEL_PROGRAMS = ("pw.x", "ph.x")
#: The README reads the frequencies at Γ and the pw.x version back from these.
README_SOURCES = (
    EXAMPLES / "si-phonopy-band.yaml",
    ORACLES / "alas-matdyn.freq",
    ORACLES / "alas-scf.out",
)

UNITS = get_physical_units()
BOHR = float(UNITS.Bohr)  # Å
RY_PER_BOHR_TO_EV_PER_ANGSTROM = float(UNITS.Rydberg) / BOHR
THZ_TO_CM = float(UNITS.THzToCm)

#: Conventional cubic cell: four fcc sites and the same shifted by (1/4, 1/4, 1/4).
FCC_SITES = np.array([[0.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]])
DIAMOND_SITES = np.vstack([FCC_SITES, FCC_SITES + 0.25])

SI_A = 5.43  # Å
SI_PSEUDO = "Si.pz-vbc.UPF"
SI_MASS = 28.0855
SI_SUPERCELL = (3, 3, 3)
SI_KMESH = (2, 2, 2)
SI_ECUTWFC = 20.0  # Ry
SI_DISPLACEMENT = 0.01  # Å
#: q-points per segment of the band path, both ends included (40 intervals, as for AlAs).
SI_POINTS_PER_SEGMENT = 41

ALAS_CELLDM = 10.50  # bohr
ALAS_SPECIES = (("Al", 26.98, "Al.pz-vbc.UPF"), ("As", 74.92, "As.pz-bhs.UPF"))
ALAS_QGRID = (4, 4, 4)
#: matdyn's band form: points from one high-symmetry point to the next, that one excluded.
ALAS_POINTS_PER_SEGMENT = 40


@dataclass
class Runner:
    """Runs the Quantum ESPRESSO programs (serially, or under mpirun) and times each run."""

    processes: int = 1
    timings: list[tuple[str, float]] = field(default_factory=list)

    def run(self, program: str, stdin: Path, stdout: Path, label: str) -> None:
        command = [program]
        if self.processes > 1 and program in PARALLEL_PROGRAMS:
            # k-point pools: next to no communication (R & G division is slower for these sizes)
            mpi = ["mpirun", "--allow-run-as-root", "-np", str(self.processes)]
            command = [*mpi, program, "-nk", str(self.processes)]
        env = dict(os.environ, OMP_NUM_THREADS="1")
        print(f"  {label}: {' '.join(command)} < {stdin.name} > {stdout.name}", flush=True)
        start = time.perf_counter()
        with stdin.open() as fin, stdout.open("w") as fout:
            done = subprocess.run(
                command, stdin=fin, stdout=fout, stderr=subprocess.STDOUT, cwd=stdin.parent, env=env
            )
        seconds = time.perf_counter() - start
        self.timings.append((label, seconds))
        text = stdout.read_text(errors="replace")
        if done.returncode != 0 or "JOB DONE" not in text:
            tail = "\n".join(text.splitlines()[-30:])
            raise SystemExit(f"{label} failed (exit {done.returncode}), {stdout}:\n{tail}")
        print(f"    {seconds:.1f} s", flush=True)


def namelist(name: str, values: dict[str, str]) -> str:
    body = "".join(f"  {key} = {value}\n" for key, value in values.items())
    return f"&{name}\n{body}/\n"


def phonopy_label(point: str) -> str:
    """SeeK-path's point name as phonopy's band.yaml should carry it ("GAMMA" -> "Γ")."""
    return point.replace("GAMMA", "Γ")


def connected_paths(
    path: Sequence[tuple[str, str]], coords: dict[str, Sequence[float]]
) -> tuple[list[list[Sequence[float]]], list[str]]:
    """SeeK-path's segments as phonopy's connected paths and their end-point names."""
    paths: list[list[Sequence[float]]] = []
    names: list[str] = []
    for start, end in path:
        if paths and names[-1] == start:
            paths[-1].append(coords[end])
            names.append(end)
        else:
            paths.append([coords[start], coords[end]])
            names += [start, end]
    return paths, names


# --------------------------------------------------------------------------------------------
# Silicon: phonopy with pw.x forces
# --------------------------------------------------------------------------------------------


def silicon_pw_input(cell: PhonopyAtoms, prefix: str) -> str:
    control = {
        "calculation": "'scf'",
        "prefix": f"'{prefix}'",
        "pseudo_dir": f"'{PSEUDO_DIR}'",
        "outdir": "'./out'",
        "tprnfor": ".true.",
    }
    system = {
        "ibrav": "0",
        "nat": str(len(cell)),
        "ntyp": "1",
        "ecutwfc": f"{SI_ECUTWFC}",
    }
    lines = [
        namelist("control", control),
        namelist("system", system),
        namelist("electrons", {"conv_thr": "1.0d-10"}),
        "ATOMIC_SPECIES",
        f"  Si {SI_MASS} {SI_PSEUDO}",
        "CELL_PARAMETERS angstrom",
        *("  " + " ".join(f"{x:16.10f}" for x in row) for row in cell.cell),
        "ATOMIC_POSITIONS crystal",
        *(
            f"  {symbol} " + " ".join(f"{x:16.10f}" for x in position)
            # rounded to the printed digits, + 0.0 so that no "-0.0000000000" is written
            for symbol, position in zip(
                cell.symbols, np.round(cell.scaled_positions, 10) + 0.0, strict=True
            )
        ),
        "K_POINTS automatic",
        "  " + " ".join(str(n) for n in SI_KMESH) + " 0 0 0",
        "",
    ]
    return "\n".join(lines)


def silicon(runner: Runner, work: Path) -> None:
    print("Si: phonopy, finite displacements with pw.x forces", flush=True)
    work.mkdir()
    conventional = (np.eye(3) * SI_A, DIAMOND_SITES, [14] * len(DIAMOND_SITES))
    path = seekpath.get_path(conventional, with_time_reversal=True)
    if not np.allclose(path["rotation_matrix"], np.eye(3)):
        raise SystemExit("SeeK-path rotated the silicon cell")
    unitcell = PhonopyAtoms(
        symbols=["Si"] * len(path["primitive_types"]),
        cell=path["primitive_lattice"],
        # SeeK-path may leave a coordinate outside [0, 1): the same site, wrapped
        scaled_positions=np.mod(np.round(path["primitive_positions"], 12), 1.0),
    )
    phonon = Phonopy(unitcell, supercell_matrix=np.diag(SI_SUPERCELL), primitive_matrix=None)
    phonon.generate_displacements(distance=SI_DISPLACEMENT)
    supercells = phonon.supercells_with_displacements
    assert supercells is not None
    outputs = []
    for index, supercell in enumerate(supercells, start=1):
        assert supercell is not None
        stdin = work / f"si-disp-{index:03d}.in"
        stdin.write_text(silicon_pw_input(supercell, f"si{index:03d}"))
        stdout = stdin.with_suffix(".out")
        runner.run("pw.x", stdin, stdout, f"pw.x Si supercell, displacement {index}")
        outputs.append(stdout)
    natom = len(phonon.supercell)
    forces = parse_set_of_forces(natom, outputs, verbose=False)  # Ry/bohr, drift removed
    if len(forces) != len(outputs):
        raise SystemExit("phonopy could not read the forces from pw.x's output")
    phonon.forces = np.array(forces) * RY_PER_BOHR_TO_EV_PER_ANGSTROM
    phonon.produce_force_constants()
    phonon.symmetrize_force_constants(show_drift=False)

    band_paths, names = connected_paths(path["path"], path["point_coords"])
    qpoints, connections = get_band_qpoints_and_path_connections(
        band_paths, npoints=SI_POINTS_PER_SEGMENT
    )
    labels = [phonopy_label(name) for name in names]
    for connected, target in (
        (False, EXAMPLES / "si-phonopy-band.yaml"),
        (True, ORACLES / "si-phonopy-band-connected.yaml"),
    ):
        phonon.run_band_structure(
            qpoints,
            path_connections=connections,
            labels=labels,
            with_eigenvectors=True,
            is_band_connection=connected,
        )
        phonon.write_yaml_band_structure(filename=target)
        print(f"  wrote {target.relative_to(ROOT)}", flush=True)


# --------------------------------------------------------------------------------------------
# AlAs: DFPT with ph.x, q2r.x, matdyn.x
# --------------------------------------------------------------------------------------------


def alas_scf_input() -> str:
    control = {
        "calculation": "'scf'",
        "prefix": "'alas'",
        "pseudo_dir": f"'{PSEUDO_DIR}'",
        "outdir": "'./out'",
        "tstress": ".true.",
        "tprnfor": ".true.",
    }
    system = {
        "ibrav": "2",
        "celldm(1)": f"{ALAS_CELLDM}",
        "nat": "2",
        "ntyp": "2",
        "ecutwfc": "16.0",
    }
    electrons = {"conv_thr": "1.0d-10", "mixing_beta": "0.7"}
    return "\n".join(
        [
            namelist("control", control),
            namelist("system", system),
            namelist("electrons", electrons),
            "ATOMIC_SPECIES",
            *(f"  {symbol} {mass} {pseudo}" for symbol, mass, pseudo in ALAS_SPECIES),
            "ATOMIC_POSITIONS alat",
            "  Al 0.00 0.00 0.00",
            "  As 0.25 0.25 0.25",
            "K_POINTS automatic",
            "  4 4 4 1 1 1",
            "",
        ]
    )


def alas_ph_input() -> str:
    values = {
        "prefix": "'alas'",
        "outdir": "'./out'",
        "tr2_ph": "1.0d-14",
        "ldisp": ".true.",
        "nq1": str(ALAS_QGRID[0]),
        "nq2": str(ALAS_QGRID[1]),
        "nq3": str(ALAS_QGRID[2]),
        "fildyn": "'alas.dyn'",
    }
    return "phonons of AlAs\n" + namelist("inputph", values)


def alas_q2r_input() -> str:
    values = {"fildyn": "'alas.dyn'", "zasr": "'simple'", "flfrc": "'alas.fc'"}
    return namelist("input", values)


def alas_band_points() -> list[tuple[str, NDArray[np.float64], int]]:
    """SeeK-path's path for zincblende AlAs in matdyn's band form: (name, q in Cartesian units
    of 2π/alat, points up to the next one). A jump (U|K) is a segment of one point."""
    alat = ALAS_CELLDM * BOHR
    conventional = (np.eye(3) * alat, DIAMOND_SITES, [13] * 4 + [33] * 4)
    path = seekpath.get_path(conventional, with_time_reversal=True)
    if not np.allclose(path["rotation_matrix"], np.eye(3)):
        raise SystemExit("SeeK-path rotated the AlAs cell")
    # pw.x's ibrav=2 lattice must be SeeK-path's primitive lattice (any basis of it)
    ibrav2 = np.array([[-1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [-1.0, 1.0, 0.0]]) * alat / 2
    change = ibrav2 @ np.linalg.inv(path["primitive_lattice"])
    if not np.allclose(change, np.round(change)) or not np.isclose(abs(np.linalg.det(change)), 1):
        raise SystemExit("SeeK-path's primitive cell is not pw.x's ibrav=2 cell")
    reciprocal = np.array(path["reciprocal_primitive_lattice"])  # rows, 1/Å with 2π
    points: list[list[str | int]] = []  # [name, points up to the next one]
    for start, end in path["path"]:
        if not points or points[-1][0] != start:
            points.append([start, 1])  # after a jump: the previous end stays a segment of one
        points[-1][1] = ALAS_POINTS_PER_SEGMENT
        points.append([end, 1])
    return [
        (str(name), np.array(path["point_coords"][name]) @ reciprocal * alat / (2 * np.pi), int(n))
        for name, n in points
    ]


def alas_matdyn_input() -> str:
    values = {
        "asr": "'simple'",
        "flfrc": "'alas.fc'",
        "flfrq": "'alas.freq'",
        "flvec": "'alas.modes'",
        "fleig": "'alas.eig'",
        "q_in_band_form": ".true.",
    }
    points = alas_band_points()
    lines = [namelist("input", values).rstrip("\n"), str(len(points))]
    for name, q, count in points:
        lines.append(" ".join(f"{x:14.10f}" for x in q) + f" {count:3d}  ! {name}")
    return "\n".join(lines) + "\n"


def alas(runner: Runner, work: Path) -> None:
    print("AlAs: DFPT with ph.x, q2r.x, matdyn.x", flush=True)
    work.mkdir()
    pseudos = ", ".join(pseudo for _, _, pseudo in ALAS_SPECIES)
    print(f"  pseudopotentials from {PSEUDO_DIR}: {pseudos}", flush=True)
    steps = (
        ("pw.x", "alas.scf.in", alas_scf_input(), "alas.scf.out", "pw.x AlAs scf"),
        ("ph.x", "alas.ph.in", alas_ph_input(), "alas.ph.out", "ph.x AlAs 4x4x4 q-grid"),
        ("q2r.x", "q2r.in", alas_q2r_input(), "q2r.out", "q2r.x AlAs"),
        ("matdyn.x", "matdyn.in", alas_matdyn_input(), "matdyn.out", "matdyn.x AlAs path"),
    )
    for program, name, text, output, step in steps:
        (work / name).write_text(text)
        runner.run(program, work / name, work / output, step)
    fc_head = (work / "alas.fc").read_text().splitlines()[:8]
    if not any(line.strip() == "T" for line in fc_head):
        raise SystemExit("q2r.x wrote no dielectric tensor / effective charges: no LO-TO splitting")
    copies = (
        ("alas.scf.in", EXAMPLES / "alas-scf.in"),
        ("alas.modes", EXAMPLES / "alas-matdyn.modes"),
        ("alas.scf.out", ORACLES / "alas-scf.out"),
        ("matdyn.in", ORACLES / "alas-matdyn.in"),
        ("alas.freq", ORACLES / "alas-matdyn.freq"),
        ("alas.freq.gp", ORACLES / "alas-matdyn.freq.gp"),
        ("alas.eig", ORACLES / "alas-matdyn.eig"),
    )
    for source, target in copies:
        shutil.copyfile(work / source, target)
        print(f"  wrote {target.relative_to(ROOT)}", flush=True)


# --------------------------------------------------------------------------------------------
# README, from the written files
# --------------------------------------------------------------------------------------------


def si_gamma_thz() -> list[float]:
    data = yaml.safe_load((EXAMPLES / "si-phonopy-band.yaml").read_text(encoding="utf-8"))
    first = data["phonon"][0]
    if any(abs(x) > 1e-12 for x in first["q-position"]):
        raise SystemExit("the silicon path does not start at Γ")
    return [float(band["frequency"]) for band in first["band"]]


def matdyn_frequencies(path: Path) -> list[tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """(q, frequencies in cm-1) of each q-point of a matdyn flfrq file."""
    text = path.read_text()
    header = re.match(r"\s*&plot\s+nbnd=\s*(\d+),\s*nks=\s*(\d+)\s*/", text)
    if header is None:
        raise SystemExit(f"{path} is no matdyn frequency file")
    nbnd, nks = int(header[1]), int(header[2])
    values = np.array(text[header.end() :].split(), dtype=float).reshape(nks, 3 + nbnd)
    return [(row[:3], row[3:]) for row in values]


def qe_version(output: Path) -> str:
    found = re.search(r"Program PWSCF (v\.\S+)", output.read_text())
    return found[1] if found else "unknown"


def debian_version(package: str) -> str:
    try:
        done = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True
        )
    except FileNotFoundError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def fmt(values: Sequence[float], digits: int = 1) -> str:
    return ", ".join(f"{x:.{digits}f}" for x in values)


def write_readme(processes: int) -> None:
    si = si_gamma_thz()
    alas_points = matdyn_frequencies(ORACLES / "alas-matdyn.freq")
    gammas = [freqs for q, freqs in alas_points if np.allclose(q, 0.0)]
    parallel = (
        f"under `mpirun -np {processes}` with {processes} k-point pools"
        if processes > 1
        else "serially"
    )
    qe = f"Quantum ESPRESSO {qe_version(ORACLES / 'alas-scf.out')}"
    debian = (
        f"Debian packages quantum-espresso {debian_version('quantum-espresso')} and"
        f" quantum-espresso-data {debian_version('quantum-espresso-data')}"
    )
    python = (
        f"phonopy {phonopy.__version__}, SeeK-path {seekpath.__version__},"
        f" spglib {spglib.__version__}"
    )
    readme = f"""# Phonon examples

Computed for real by `scripts/phonon_examples.py` (its docstring has every parameter):
{qe} ({debian}, which also has the pseudopotentials) and {python}.
pw.x and ph.x ran {parallel}. Nothing in these files is written by hand. Regenerate them with

    make phonon-examples

## Here (shipped as built-in examples)

- `si-phonopy-band.yaml`: phonopy's `band.yaml` of diamond Si, with eigenvectors, without band
  connection (bands in ascending frequency at each q-point). Finite displacements (0.01 Å) in
  a 3x3x3 supercell of SeeK-path's primitive cell (a = 5.43 Å), forces from pw.x (LDA,
  Si.pz-vbc.UPF, ecutwfc 20 Ry, 2x2x2 k-mesh of the supercell). Path and labels from SeeK-path,
  41 q-points per segment; frequencies in THz, q-points in fractions of the primitive
  reciprocal lattice.
- `alas-scf.in`: the pw.x input of the scf run of zincblende AlAs (ibrav=2, celldm(1) =
  10.50 bohr, Al.pz-vbc.UPF, As.pz-bhs.UPF, ecutwfc 16 Ry, 4x4x4 shifted k-mesh), as run.
- `alas-matdyn.modes`: matdyn.x's `flvec` file (normalised displacements) along SeeK-path's fcc
  path, interpolated from ph.x's force constants on a 4x4x4 q-grid with the dielectric tensor
  and Born effective charges (LO-TO splitting at Γ); q-points in Cartesian units of 2π/alat,
  frequencies in THz and cm-1.

## tests/work/data/phonons (oracles for the tests only)

- `si-phonopy-band-connected.yaml`: the same Si path with phonopy's own band connection
  (`is_band_connection=True`).
- `alas-scf.out`: pw.x's output of the AlAs scf run.
- `alas-matdyn.in`: the matdyn.x input (band form: high-symmetry points, 40 points per segment;
  a segment of one point is a jump).
- `alas-matdyn.freq`, `alas-matdyn.freq.gp`: matdyn.x's frequencies (`flfrq`), cm-1.
- `alas-matdyn.eig`: matdyn.x's eigenvectors (`fleig`).

## Frequencies at Γ

- Si (phonopy): {fmt(si, 3)} THz
  = {fmt([x * THZ_TO_CM for x in si])} cm-1.
- AlAs (matdyn), each time the path passes Γ (the LO mode depends on the direction of
  approach): {"; ".join(fmt(freqs) + " cm-1" for freqs in gammas)}.
"""
    (EXAMPLES / "README.md").write_text(readme, encoding="utf-8")
    print(f"wrote {(EXAMPLES / 'README.md').relative_to(ROOT)}", flush=True)
    print(f"Γ, Si: {fmt(si, 3)} THz; AlAs: {' | '.join(fmt(f) for f in gammas)} cm-1", flush=True)


def check_tools() -> None:
    missing = [program for program in QE_PROGRAMS if shutil.which(program) is None]
    pseudos = [SI_PSEUDO, *(pseudo for _, _, pseudo in ALAS_SPECIES)]
    missing += [str(PSEUDO_DIR / p) for p in pseudos if not (PSEUDO_DIR / p).is_file()]
    if missing:
        raise SystemExit(
            f"missing {', '.join(missing)}: apt-get install quantum-espresso quantum-espresso-data"
        )
    encoding = locale.getpreferredencoding(False).lower().replace("-", "")
    if not sys.flags.utf8_mode and encoding != "utf8":
        raise SystemExit("phonopy writes the label Γ: run with PYTHONUTF8=1")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--np",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="MPI processes (k-point pools) for pw.x and ph.x (default: 2, or 1 on one core)",
    )
    parser.add_argument("--only", choices=("si", "alas"), help="compute one material only")
    parser.add_argument("--keep-workdir", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    check_tools()
    if args.np > 1 and shutil.which("mpirun") is None:
        print("mpirun is missing: pw.x and ph.x run serially", flush=True)
        args.np = 1
    EXAMPLES.mkdir(parents=True, exist_ok=True)
    ORACLES.mkdir(parents=True, exist_ok=True)
    runner = Runner(processes=args.np)
    work = Path(tempfile.mkdtemp(prefix="phonon-examples-"))
    print(f"work folder {work}", flush=True)
    try:
        if args.only in (None, "si"):
            silicon(runner, work / "si")
        if args.only in (None, "alas"):
            alas(runner, work / "alas")
    finally:
        if args.keep_workdir:
            print(f"kept {work}", flush=True)
        else:
            shutil.rmtree(work)
    if all(path.exists() for path in README_SOURCES):
        write_readme(runner.processes)
    for step, seconds in runner.timings:
        print(f"{seconds:8.1f} s  {step}", flush=True)


if __name__ == "__main__":
    main()
