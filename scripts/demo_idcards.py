"""Compute the demo "materials ID cards" DISCOVER section for real: Quantum ESPRESSO (Debian's
pw.x, ph.x, q2r.x, matdyn.x) driven by AiiDA, so that every value on a card has a browsable
provenance node. Nothing here is typed in by hand except the inputs: the crystals' lattice
parameters, the pseudopotentials and the numerical parameters below.

Run it with ``make demo-idcards``: the target installs Debian's ``quantum-espresso`` and
``quantum-espresso-data`` when ``pw.x`` is missing, adds SeeK-path to ``.venv-aiida`` and
runs::

    OMP_NUM_THREADS=1 .venv-aiida/bin/python scripts/demo_idcards.py

It takes a few minutes on 2 cores (pw.x and ph.x under ``mpirun -np 2`` with two k-point
pools; ``--np 1`` runs them serially). The outputs are committed, so the target is part of
neither ``make run`` nor ``make test``; ``matcloud demo`` publishes the archive as a record and
builds the section from it.

For each crystal, a ``MaterialCardWorkChain`` (run in-process with ``aiida.engine.run``, in a
throw-away ``core.sqlite_dos`` profile: no PostgreSQL, no RabbitMQ) calls these calcfunctions:

1. ``seekpath_analysis``: SeeK-path's standardised primitive cell, its space group and the
   explicit k-point path (``reference_distance`` 0.025 Å⁻¹).
2. ``pw_scf``: a self-consistent pw.x run on the primitive cell (LDA, the pseudopotentials of
   Debian's ``quantum-espresso-data``, as ``UpfData`` inputs); its outputs are the parsed
   results (total energy, Fermi energy or highest occupied / lowest unoccupied levels, ...)
   and the ``.save`` folder as ``FolderData``.
3. ``pw_bands``: a non-self-consistent ``bands`` pw.x run along the path from that folder;
   outputs a ``BandsData`` (eV) with the path's labels, the band gap along the path and the
   energy to draw as zero (the valence band maximum, or the scf's Fermi energy for a metal).
4. ``ph_dispersion`` (when asked): ph.x on a coarse q-grid (with the dielectric tensor and
   Born effective charges at Γ for insulators), q2r.x and matdyn.x along the same path;
   outputs a ``BandsData`` of phonon frequencies (THz) and the highest frequency.

The work chains go into the group ``demo-idcards``; the archive holds it and everything they
ran (create_archive's default traversal rules). Written, in ``src/matcloud/discover/data/``:
``demo-idcards.aiida`` and ``demo-idcards.md`` (the record's README: versions, parameters,
timings and the results read back from the nodes).

The numerical parameters are chosen for a demo that runs in minutes, not for converged
science: band structures are good to ~0.1 eV; the phonon dispersions are Fourier-interpolated
from a 4x4x4 q-grid.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings

# aiida-core fixes its configuration folder when it is first imported (and would otherwise
# create ~/.aiida): point it at a temporary folder before any aiida import (see
# tests/fixtures/make_aiida_archives.py).
_AIIDA_PATH: str | None = None
if __name__ == "__main__":
    _AIIDA_PATH = tempfile.mkdtemp(prefix="matcloud-idcards-profile-")
    os.environ["AIIDA_PATH"] = _AIIDA_PATH
    os.mkdir(os.path.join(_AIIDA_PATH, ".aiida"))

import argparse  # noqa: E402
import logging  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import xml.etree.ElementTree as ET  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import seekpath  # noqa: E402

# aiida-core's own UpfData is deprecated in favour of the aiida-pseudo plugin; it is what
# aiida-core alone has, and it stores the pseudopotential file as a node all the same. Its
# module warns once, when imported: import it here, quietly.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import aiida.orm.nodes.data.upf  # noqa: E402, F401

from aiida import __version__ as AIIDA_VERSION  # noqa: E402
from aiida import orm  # noqa: E402
from aiida.engine import WorkChain, calcfunction, if_, run_get_node  # noqa: E402
from aiida.manage import get_manager  # noqa: E402
from aiida.manage.configuration import create_profile, get_config  # noqa: E402
from aiida.tools.archive import create_archive  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "matcloud" / "discover" / "data"
PSEUDO_DIR = Path("/usr/share/espresso/pseudo")
GROUP = "demo-idcards"
HARTREE_EV = 27.211386245988
CM_TO_THZ = 0.0299792458  # 1 cm⁻¹ = c [cm/s] x 1e-12 THz
PREFIX = "aiida"
#: pw.x and ph.x processes (k-point pools); set by --np
PROCESSES = {"n": 2}


@dataclass(frozen=True)
class Crystal:
    name: str
    kind: str  # diamond, zincblende, rocksalt, fcc
    species: tuple[tuple[str, float, str], ...]  # symbol, mass, pseudopotential
    a: float  # conventional cubic lattice parameter, Å (experimental, room temperature)
    ecutwfc: float
    ecutrho: float
    metal: bool = False
    phonons: bool = True


CRYSTALS = (
    Crystal("Silicon", "diamond", (("Si", 28.0855, "Si.pz-vbc.UPF"),), 5.431, 20, 80),
    Crystal("Diamond", "diamond", (("C", 12.011, "C.pz-rrkjus.UPF"),), 3.567, 30, 240),
    Crystal(
        "Aluminium arsenide",
        "zincblende",
        (("Al", 26.9815, "Al.pz-vbc.UPF"), ("As", 74.9216, "As.pz-bhs.UPF")),
        5.661,
        20,
        80,
    ),
    Crystal(
        "Magnesium oxide",
        "rocksalt",
        (("Mg", 24.305, "Mg.pz-n-vbc.UPF"), ("O", 15.999, "O.pz-rrkjus.UPF")),
        4.212,
        35,
        280,
        phonons=False,
    ),
    Crystal("Aluminium", "fcc", (("Al", 26.9815, "Al.pz-vbc.UPF"),), 4.0495, 20, 80, metal=True),
)


# --------------------------------------------------------------------------------------------
# running Quantum ESPRESSO
# --------------------------------------------------------------------------------------------


def run_program(program: str, stdin: str, work: Path, name: str) -> str:
    """Run one QE program in ``work`` with ``stdin``; its output, or SystemExit with the tail."""
    (work / f"{name}.in").write_text(stdin)
    command = [program]
    if PROCESSES["n"] > 1 and program in ("pw.x", "ph.x"):
        mpi = ["mpirun", "--allow-run-as-root", "-np", str(PROCESSES["n"])]
        command = [*mpi, program, "-nk", str(PROCESSES["n"])]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    start = time.perf_counter()
    with (work / f"{name}.in").open() as fin, (work / f"{name}.out").open("w") as fout:
        done = subprocess.run(
            command, stdin=fin, stdout=fout, stderr=subprocess.STDOUT, cwd=work, env=env
        )
    text = (work / f"{name}.out").read_text(errors="replace")
    print(f"    {name}: {program} {time.perf_counter() - start:.1f} s", flush=True)
    if done.returncode != 0 or ("JOB DONE" not in text and program != "q2r.x"):
        tail = "\n".join(text.splitlines()[-30:])
        raise RuntimeError(f"{program} failed (exit {done.returncode}):\n{tail}")
    return text


def namelist(name: str, values: dict[str, Any]) -> str:
    def fortran(value: Any) -> str:
        if isinstance(value, bool):
            return ".true." if value else ".false."
        if isinstance(value, str):
            return f"'{value}'"
        return str(value)

    body = "".join(f"  {key} = {fortran(value)}\n" for key, value in values.items())
    return f"&{name}\n{body}/\n"


def write_pseudos(work: Path, pseudos: dict[str, orm.UpfData]) -> None:
    (work / "pseudo").mkdir(exist_ok=True)
    for upf in pseudos.values():
        (work / "pseudo" / upf.filename).write_bytes(upf.get_content("rb"))


def pw_input(
    structure: orm.StructureData,
    parameters: dict[str, Any],
    pseudos: dict[str, orm.UpfData],
    calculation: str,
    kpoints: list[str],
) -> str:
    system = {"ibrav": 0, "nat": len(structure.sites), "ntyp": len(structure.kinds)}
    system |= parameters["SYSTEM"]
    if calculation == "bands":
        system["nbnd"] = parameters["nbnd"]
    control = {
        "calculation": calculation,
        "prefix": PREFIX,
        "pseudo_dir": "./pseudo",
        "outdir": "./out",
    }
    if calculation == "scf":
        control["tstress"] = True  # the pressure at the experimental lattice parameter
    cell = np.array(structure.cell)
    inverse = np.linalg.inv(cell)
    lines = [
        namelist("control", control),
        namelist("system", system),
        namelist("electrons", parameters["ELECTRONS"]),
        "ATOMIC_SPECIES",
        *(
            f"  {kind.name} {kind.mass} {pseudos[f'pseudo_{kind.name}'].filename}"
            for kind in structure.kinds
        ),
        "CELL_PARAMETERS angstrom",
        *("  " + " ".join(f"{x:16.10f}" for x in row) for row in cell),
        "ATOMIC_POSITIONS crystal",
        *(
            f"  {site.kind_name} "
            + " ".join(f"{x:16.10f}" for x in np.round(np.array(site.position) @ inverse, 10) + 0.0)
            for site in structure.sites
        ),
        *kpoints,
        "",
    ]
    return "\n".join(lines)


def read_save(work: Path) -> ET.Element:
    return ET.parse(work / "out" / f"{PREFIX}.save" / "data-file-schema.xml").getroot()


def eigenvalues_ev(root: ET.Element) -> np.ndarray:
    """Eigenvalues (eV) per k-point from pw.x's XML (Hartree there)."""
    found = [
        [float(x) for x in ks.find("eigenvalues").text.split()]  # type: ignore[union-attr]
        for ks in root.iter("ks_energies")
    ]
    return np.array(found) * HARTREE_EV


def number(root: ET.Element, path: str) -> float | None:
    found = root.find(path)
    return None if found is None or found.text is None else float(found.text)


# --------------------------------------------------------------------------------------------
# processes (module level, so that their process_type is ``__main__.<name>``)
# --------------------------------------------------------------------------------------------


@calcfunction
def seekpath_analysis(structure: orm.StructureData, reference_distance: orm.Float) -> dict:
    """SeeK-path: the standardised primitive cell, its symmetry and the explicit k-point path."""
    cell = np.array(structure.cell)
    kinds = [site.kind_name for site in structure.sites]
    names = sorted(set(kinds))
    positions = np.array([site.position for site in structure.sites]) @ np.linalg.inv(cell)
    found = seekpath.get_explicit_k_path(
        (cell, positions, [names.index(k) for k in kinds]),
        reference_distance=reference_distance.value,
    )
    lattice = np.array(found["primitive_lattice"])
    primitive = orm.StructureData(cell=lattice.tolist())
    for kind in structure.kinds:
        primitive.append_kind(kind)
    for index, fractional in zip(
        found["primitive_types"], found["primitive_positions"], strict=True
    ):
        primitive.append_site(
            orm.Site(kind_name=names[index], position=(np.array(fractional) @ lattice).tolist())
        )
    primitive.label = structure.label
    kpoints = orm.KpointsData()
    kpoints.set_cell(lattice.tolist())
    points = np.array(found["explicit_kpoints_rel"])
    labels = [(i, label) for i, label in enumerate(found["explicit_kpoints_labels"]) if label]
    kpoints.set_kpoints(points.tolist(), labels=labels)
    symmetry = orm.Dict(
        {
            "formula": primitive.get_formula(mode="hill_compact"),
            "spacegroup_number": found["spacegroup_number"],
            "spacegroup_international": found["spacegroup_international"],
            "bravais_lattice": found["bravais_lattice"],
            "bravais_lattice_extended": found["bravais_lattice_extended"],
            "path": [list(segment) for segment in found["path"]],
            "seekpath_version": seekpath.__version__,
        }
    )
    return {"primitive_structure": primitive, "explicit_kpoints": kpoints, "symmetry": symmetry}


@calcfunction
def pw_scf(
    structure: orm.StructureData,
    parameters: orm.Dict,
    kpoints: orm.KpointsData,
    **pseudos: orm.UpfData,
) -> dict:
    """pw.x, self-consistent; the parsed results and the .save folder."""
    with tempfile.TemporaryDirectory(prefix="pw-scf-") as tmp:
        work = Path(tmp)
        write_pseudos(work, pseudos)
        mesh, offset = kpoints.get_kpoints_mesh()
        shifts = [round(2 * x) for x in offset]  # pw.x: 0 or 1 (half a step)
        lines = ["K_POINTS automatic", "  " + " ".join(str(n) for n in [*mesh, *shifts])]
        text = run_program(
            "pw.x", pw_input(structure, parameters.get_dict(), pseudos, "scf", lines), work, "scf"
        )
        root = read_save(work)
        natoms = len(structure.sites)
        energy = number(root, "output/total_energy/etot")
        version = re.search(r"Program PWSCF v\.(\S+)", text)
        wall = re.findall(r"PWSCF\s*:.*CPU\s+(\S+)s WALL", text)
        steps = number(root, "output/convergence_info/scf_conv/n_scf_steps")
        results: dict[str, Any] = {
            "code": "pw.x",
            "code_version": version.group(1) if version else None,
            "energy": energy * HARTREE_EV if energy is not None else None,
            "energy_units": "eV",
            "energy_per_atom": energy * HARTREE_EV / natoms if energy is not None else None,
            "number_of_electrons": number(root, "output/band_structure/nelec"),
            "number_of_atoms": natoms,
            "volume": float(abs(np.linalg.det(np.array(structure.cell)))),
            "volume_units": "angstrom^3",
            "scf_iterations": int(steps or 0),
            "wall_time_seconds": float(wall[-1]) if wall else None,
        }
        fermi = number(root, "output/band_structure/fermi_energy")
        homo = number(root, "output/band_structure/highestOccupiedLevel")
        lumo = number(root, "output/band_structure/lowestUnoccupiedLevel")
        if fermi is not None:
            results["fermi_energy"] = fermi * HARTREE_EV
        if homo is not None:
            results["highest_occupied_level"] = homo * HARTREE_EV
        if lumo is not None:
            results["lowest_unoccupied_level"] = lumo * HARTREE_EV
        pressure = re.findall(r"P=\s*(-?\d+\.\d+)", text)
        if pressure:
            results["pressure"] = float(pressure[-1])
            results["pressure_units"] = "kbar"
        save = orm.FolderData(tree=str(work / "out" / f"{PREFIX}.save"))
    return {"output_parameters": orm.Dict(results), "save": save}


@calcfunction
def pw_bands(
    structure: orm.StructureData,
    parameters: orm.Dict,
    kpoints: orm.KpointsData,
    parent_folder: orm.FolderData,
    **pseudos: orm.UpfData,
) -> dict:
    """pw.x, non-self-consistent along the k-point path: the bands (eV) and the gap."""
    with tempfile.TemporaryDirectory(prefix="pw-bands-") as tmp:
        work = Path(tmp)
        write_pseudos(work, pseudos)
        parent_folder.base.repository.copy_tree(work / "out" / f"{PREFIX}.save")
        fermi = number(read_save(work), "output/band_structure/fermi_energy")  # of the scf
        points = kpoints.get_kpoints()
        lines = [
            "K_POINTS crystal",
            f"  {len(points)}",
            *("  " + " ".join(f"{x:14.10f}" for x in point) + " 1.0" for point in points),
        ]
        values = parameters.get_dict()
        run_program("pw.x", pw_input(structure, values, pseudos, "bands", lines), work, "bands")
        root = read_save(work)
        energies = eigenvalues_ev(root)
    bands = orm.BandsData()
    bands.set_kpointsdata(kpoints)
    bands.set_bands(energies, units="eV")
    results: dict[str, Any] = {"number_of_bands": int(energies.shape[1]), "energy_units": "eV"}
    occupied = values.get("occupied_bands")
    if occupied:
        vbm = float(energies[:, occupied - 1].max())
        cbm = float(energies[:, occupied].min())
        results |= {
            "valence_band_maximum": vbm,
            "conduction_band_minimum": cbm,
            "band_gap": max(cbm - vbm, 0.0),
            "band_gap_direct": bool(
                np.argmax(energies[:, occupied - 1]) == np.argmin(energies[:, occupied])
            ),
        }
        results["energy_zero"] = vbm
    else:
        results["band_gap"] = 0.0  # a metal
        if fermi is not None:
            results["fermi_energy"] = fermi * HARTREE_EV
            results["energy_zero"] = fermi * HARTREE_EV
    return {"band_structure": bands, "output_parameters": orm.Dict(results)}


@calcfunction
def ph_dispersion(
    parameters: orm.Dict,
    kpoints: orm.KpointsData,
    parent_folder: orm.FolderData,
    **pseudos: orm.UpfData,
) -> dict:
    """ph.x on a q-grid, q2r.x and matdyn.x along the path: phonon frequencies (THz)."""
    values = parameters.get_dict()
    with tempfile.TemporaryDirectory(prefix="ph-") as tmp:
        work = Path(tmp)
        write_pseudos(work, pseudos)
        parent_folder.base.repository.copy_tree(work / "out" / f"{PREFIX}.save")
        qgrid = values["qgrid"]
        ph = namelist(
            "inputph",
            {
                "prefix": PREFIX,
                "outdir": "./out",
                "fildyn": "dyn",
                "tr2_ph": values.get("tr2_ph", 1.0e-14),
                "ldisp": True,
                "nq1": qgrid[0],
                "nq2": qgrid[1],
                "nq3": qgrid[2],
            },
        )
        text = run_program("ph.x", "phonons\n" + ph, work, "ph")
        run_program(
            "q2r.x",
            namelist("input", {"fildyn": "dyn", "zasr": "crystal", "flfrc": "ifc"}),
            work,
            "q2r",
        )
        points = kpoints.get_kpoints()
        matdyn = namelist(
            "input",
            {
                "asr": "crystal",
                "flfrc": "ifc",
                "flfrq": "freq",
                "q_in_cryst_coord": True,
                "q_in_band_form": False,
            },
        )
        matdyn += f"{len(points)}\n" + "".join(
            " ".join(f"{x:14.10f}" for x in point) + "\n" for point in points
        )
        run_program("matdyn.x", matdyn, work, "matdyn")
        table = np.loadtxt(work / "freq.gp")
        epsilon = re.search(r"Dielectric constant in cartesian axis\s*\n\s*\n\s*\(\s*(\S+)", text)
    frequencies = table[:, 1:] * CM_TO_THZ
    bands = orm.BandsData()
    bands.set_kpointsdata(kpoints)
    bands.set_bands(frequencies, units="THz")
    results: dict[str, Any] = {
        "qgrid": qgrid,
        "number_of_branches": int(frequencies.shape[1]),
        "frequency_units": "THz",
        "max_frequency": float(frequencies.max()),
        "gamma_frequencies": [round(float(f), 4) for f in frequencies[0]],
    }
    if epsilon:
        results["dielectric_constant_xx"] = float(epsilon.group(1))
    return {"phonon_bands": bands, "output_parameters": orm.Dict(results)}


class MaterialCardWorkChain(WorkChain):
    """SeeK-path, pw.x scf, pw.x bands along the path, and (optionally) phonons: what one
    material's ID card shows."""

    @classmethod
    def define(cls, spec: Any) -> None:
        super().define(spec)
        spec.input("structure", valid_type=orm.StructureData)
        spec.input("scf_parameters", valid_type=orm.Dict)
        spec.input("kpoints", valid_type=orm.KpointsData, help="the scf k-point mesh")
        spec.input("bands_parameters", valid_type=orm.Dict)
        spec.input("phonon_parameters", valid_type=orm.Dict, required=False)
        spec.input_namespace("pseudos", valid_type=orm.UpfData, dynamic=True)
        spec.outline(
            cls.analyse, cls.scf, cls.bands, if_(cls.wants_phonons)(cls.phonons), cls.results
        )
        spec.output("primitive_structure", valid_type=orm.StructureData)
        spec.output("symmetry", valid_type=orm.Dict)
        spec.output("scf_parameters", valid_type=orm.Dict)
        spec.output("band_structure", valid_type=orm.BandsData)
        spec.output("band_parameters", valid_type=orm.Dict)
        spec.output("phonon_bands", valid_type=orm.BandsData, required=False)
        spec.output("phonon_parameters", valid_type=orm.Dict, required=False)

    def _pseudos(self) -> dict[str, orm.UpfData]:
        return {f"pseudo_{kind}": upf for kind, upf in self.inputs.pseudos.items()}

    def analyse(self) -> None:
        self.report("SeeK-path: primitive cell and k-point path")
        self.ctx.seekpath = seekpath_analysis(self.inputs.structure, orm.Float(0.025))

    def scf(self) -> None:
        self.report("pw.x scf")
        self.ctx.scf = pw_scf(
            self.ctx.seekpath["primitive_structure"],
            self.inputs.scf_parameters,
            self.inputs.kpoints,
            **self._pseudos(),
        )

    def bands(self) -> None:
        self.report("pw.x bands along the path")
        self.ctx.bands = pw_bands(
            self.ctx.seekpath["primitive_structure"],
            self.inputs.bands_parameters,
            self.ctx.seekpath["explicit_kpoints"],
            self.ctx.scf["save"],
            **self._pseudos(),
        )

    def wants_phonons(self) -> bool:
        return "phonon_parameters" in self.inputs

    def phonons(self) -> None:
        self.report("ph.x, q2r.x and matdyn.x along the path")
        self.ctx.phonons = ph_dispersion(
            self.inputs.phonon_parameters,
            self.ctx.seekpath["explicit_kpoints"],
            self.ctx.scf["save"],
            **self._pseudos(),
        )

    def results(self) -> None:
        self.out("primitive_structure", self.ctx.seekpath["primitive_structure"])
        self.out("symmetry", self.ctx.seekpath["symmetry"])
        self.out("scf_parameters", self.ctx.scf["output_parameters"])
        self.out("band_structure", self.ctx.bands["band_structure"])
        self.out("band_parameters", self.ctx.bands["output_parameters"])
        if "phonons" in self.ctx:
            self.out("phonon_bands", self.ctx.phonons["phonon_bands"])
            self.out("phonon_parameters", self.ctx.phonons["output_parameters"])


# --------------------------------------------------------------------------------------------
# the inputs
# --------------------------------------------------------------------------------------------


FCC = np.array([[0.0, 0.5, 0.5], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]])
BASES = {  # cartesian positions in units of a
    "fcc": [(0, (0.0, 0.0, 0.0))],
    "diamond": [(0, (0.0, 0.0, 0.0)), (0, (0.25, 0.25, 0.25))],
    "zincblende": [(0, (0.0, 0.0, 0.0)), (1, (0.25, 0.25, 0.25))],
    "rocksalt": [(0, (0.0, 0.0, 0.0)), (1, (0.5, 0.5, 0.5))],
}


def structure_of(crystal: Crystal) -> orm.StructureData:
    structure = orm.StructureData(cell=(FCC * crystal.a).tolist())
    for index, position in BASES[crystal.kind]:
        symbol, mass, _ = crystal.species[index]
        structure.append_atom(position=[x * crystal.a for x in position], symbols=symbol)
    for kind in structure.kinds:
        kind.mass = next(m for s, m, _ in crystal.species if s == kind.symbol)
    structure.label = crystal.name
    structure.description = f"{crystal.name}, {crystal.kind}, a = {crystal.a} Å (experimental)"
    return structure


def pseudo(filename: str, cache: dict[str, orm.UpfData]) -> orm.UpfData:
    if filename not in cache:
        upf = orm.UpfData(file=str(PSEUDO_DIR / filename), filename=filename)
        upf.description = f"{filename} from Debian's quantum-espresso-data"
        cache[filename] = upf.store()
    return cache[filename]


def inputs_of(crystal: Crystal, cache: dict[str, orm.UpfData]) -> dict[str, Any]:
    smearing = (
        {"occupations": "smearing", "smearing": "mv", "degauss": 0.02} if crystal.metal else {}
    )
    system = {"ecutwfc": crystal.ecutwfc, "ecutrho": crystal.ecutrho} | smearing
    electrons = {"conv_thr": 1.0e-10}
    kpoints = orm.KpointsData()
    kpoints.set_kpoints_mesh([12, 12, 12] if crystal.metal else [6, 6, 6], offset=[0, 0, 0])
    valence = {"Si": 4, "C": 4, "Al": 3, "As": 5, "Mg": 2, "O": 6}  # of the pseudopotentials
    electrons_total = sum(valence[crystal.species[i][0]] for i, _ in BASES[crystal.kind])
    occupied = None if crystal.metal else electrons_total // 2
    bands = {
        "SYSTEM": system,
        "ELECTRONS": {"diago_full_acc": True, "conv_thr": 1.0e-10},
        "nbnd": (occupied or 4) + 4,
    }
    if occupied:
        bands["occupied_bands"] = occupied
    inputs: dict[str, Any] = {
        "structure": structure_of(crystal),
        "scf_parameters": orm.Dict({"SYSTEM": system, "ELECTRONS": electrons}),
        "kpoints": kpoints,
        "bands_parameters": orm.Dict(bands),
        "pseudos": {s: pseudo(f, cache) for s, _, f in crystal.species},
    }
    if crystal.phonons:
        inputs["phonon_parameters"] = orm.Dict({"qgrid": [4, 4, 4], "tr2_ph": 1.0e-14})
    return inputs


# --------------------------------------------------------------------------------------------
# the profile, the run, the README
# --------------------------------------------------------------------------------------------


def make_profile(root: Path) -> None:
    config = get_config(create=True)
    profile = create_profile(
        config,
        name="matcloud-idcards",
        storage_backend="core.sqlite_dos",
        storage_config={"filepath": str(root / "storage")},
        broker_backend=None,
        email="demo@matcloud.example",
        first_name="Demo",
        last_name="Calculations",
        institution="matcloud (demo data)",
    )
    config.set_option("warnings.development_version", False, scope=None)
    config.set_option("logging.terminal_handler", "ERROR", scope=None)
    config.set_default_profile(profile.name, overwrite=True)
    config.store()
    get_manager().load_profile(profile.name, allow_switch=True)


def qe_version() -> str:
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "quantum-espresso"], capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def readme(nodes: list[orm.WorkChainNode], seconds: float) -> str:
    rows = []
    for node in nodes:
        out = node.outputs
        scf, band, sym = (
            out.scf_parameters.get_dict(),
            out.band_parameters.get_dict(),
            out.symmetry.get_dict(),
        )
        phonon = out.phonon_parameters.get_dict() if "phonon_parameters" in out else None
        highest = f"{phonon['max_frequency']:.2f}" if phonon else "—"
        rows.append(
            f"| {node.label} | {sym['spacegroup_international']} ({sym['spacegroup_number']}) "
            f"| {band['band_gap']:.3f} | {scf['energy_per_atom']:.4f} | {highest} |"
        )
    return "\n".join(
        [
            "# Demo data: materials ID cards from real Quantum ESPRESSO calculations",
            "",
            "**Demo data.** Computed by `scripts/demo_idcards.py` (`make demo-idcards`) with "
            f"Quantum ESPRESSO {qe_version()} (Debian) driven by aiida-core {AIIDA_VERSION}, "
            f"in {seconds:.0f} s on this machine. The numerical parameters are chosen for a demo "
            "that runs in minutes, not for converged results.",
            "",
            "`demo-idcards.aiida` holds the group `demo-idcards`: one `MaterialCardWorkChain` per "
            "crystal, with every calculation it ran (SeeK-path, pw.x scf, pw.x bands, and "
            "ph.x/q2r.x/matdyn.x for the phonons) and their inputs, pseudopotentials included.",
            "",
            "LDA, pseudopotentials of Debian's quantum-espresso-data; scf on a 6x6x6 "
            "Γ-centred k-mesh (12x12x12 with Marzari-Vanderbilt smearing of 0.02 Ry for "
            "aluminium), conv_thr 1e-10 Ry; bands along SeeK-path's path (reference distance "
            "0.025 Å⁻¹); phonons by DFPT on a 4x4x4 q-grid, interpolated with "
            "asr='crystal'.",
            "",
            "| material | space group | band gap (eV) | energy per atom (eV) | "
            "highest phonon (THz) |",
            "|---|---|---:|---:|---:|",
            *rows,
            "",
            "LDA underestimates band gaps (silicon's is 1.1 eV in experiment).",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--np", type=int, default=2, help="processes for pw.x and ph.x")
    parser.add_argument("--outdir", type=Path, default=OUT)
    if _AIIDA_PATH is None:
        raise SystemExit("run demo_idcards.py as a script")
    args = parser.parse_args(argv)
    PROCESSES["n"] = args.np
    for program in ("pw.x", "ph.x", "q2r.x", "matdyn.x"):
        if shutil.which(program) is None:
            raise SystemExit(f"{program} is missing: apt-get install quantum-espresso")
    root = Path(_AIIDA_PATH)
    start = time.monotonic()
    try:
        make_profile(root)
        cache: dict[str, orm.UpfData] = {}
        group = orm.Group(label=GROUP, description="Demo materials ID cards (demo data)").store()
        nodes = []
        for crystal in CRYSTALS:
            print(f"{crystal.name}", flush=True)
            _, node = run_get_node(MaterialCardWorkChain, **inputs_of(crystal, cache))
            if not node.is_finished_ok:
                raise SystemExit(f"{crystal.name}: the work chain failed ({node.process_state})")
            node.label = crystal.name
            node.description = f"ID card of {crystal.name} (demo data)"
            node.base.extras.set("demo", True)
            group.add_nodes(node)
            nodes.append(node)
        seconds = time.monotonic() - start
        args.outdir.mkdir(parents=True, exist_ok=True)
        archive = args.outdir / "demo-idcards.aiida"
        logging.getLogger("aiida.export").setLevel(logging.WARNING)
        tmp = archive.with_suffix(".aiida.tmp")
        create_archive([group], filename=tmp, overwrite=True)
        tmp.replace(archive)
        (args.outdir / "demo-idcards.md").write_text(readme(nodes, seconds))
    finally:
        manager = get_manager()
        if manager.get_profile() is not None:
            manager.get_profile_storage().close()
            manager.unload_profile()
        shutil.rmtree(root, ignore_errors=True)
    print(f"wrote {archive} ({archive.stat().st_size:,} bytes) in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
