"""Cells pw.x builds from ``ibrav`` and ``celldm``: the oracle of tests/structures/test_ibrav.py.

For every ``ibrav`` matcloud supports, runs Debian's pw.x (Quantum ESPRESSO) on a one-atom
silicon crystal just far enough to print its crystal axes (one SCF step at Γ), and keeps the
input and the head of the output (up to the reciprocal axes) under
``tests/structures/pwx-ibrav/``. Run: ``python scripts/pwx_ibrav_oracle.py`` (needs
``pw.x`` and the quantum-espresso-data package's pseudopotentials).
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "structures" / "pwx-ibrav"
PSEUDO_DIR = Path("/usr/share/doc/quantum-espresso/examples")
CELLDM = {
    1: "celldm(1) = 7.0",
    2: "celldm(1) = 7.0",
    3: "celldm(1) = 7.0",
    -3: "celldm(1) = 7.0",
    4: "celldm(1) = 7.0, celldm(3) = 1.7",
    5: "celldm(1) = 7.0, celldm(4) = 0.1",
    -5: "celldm(1) = 7.0, celldm(4) = 0.1",
    6: "celldm(1) = 7.0, celldm(3) = 1.7",
    7: "celldm(1) = 7.0, celldm(3) = 1.7",
    8: "celldm(1) = 7.0, celldm(2) = 1.3, celldm(3) = 1.7",
    9: "celldm(1) = 7.0, celldm(2) = 1.3, celldm(3) = 1.7",
    -9: "celldm(1) = 7.0, celldm(2) = 1.3, celldm(3) = 1.7",
    10: "celldm(1) = 7.0, celldm(2) = 1.3, celldm(3) = 1.7",
    11: "celldm(1) = 7.0, celldm(2) = 1.3, celldm(3) = 1.7",
    12: "celldm(1) = 7.0, celldm(2) = 1.3, celldm(3) = 1.7, celldm(4) = 0.1",
    14: (
        "celldm(1) = 7.0, celldm(2) = 1.3, celldm(3) = 1.7, celldm(4) = 0.2, "
        "celldm(5) = -0.15, celldm(6) = 0.1"
    ),
}
INPUT = """ &control
    calculation = 'scf', pseudo_dir = '{pseudo}', outdir = '{work}'
 /
 &system
    ibrav = {ibrav}, {celldm}, nat = 1, ntyp = 1, ecutwfc = 8.0,
    occupations = 'smearing', degauss = 0.05
 /
 &electrons
    electron_maxstep = 1
 /
ATOMIC_SPECIES
 Si 28.086 Si.pz-vbc.UPF
ATOMIC_POSITIONS crystal
 Si 0.1 0.2 0.3
K_POINTS gamma
"""


def pseudo(work: Path) -> Path:
    found = sorted(PSEUDO_DIR.rglob("Si.pz-vbc.UPF*"))
    if not found:
        sys.exit("Si.pz-vbc.UPF not found: apt-get install quantum-espresso-data")
    target = work / "Si.pz-vbc.UPF"
    if found[0].suffix == ".gz":
        target.write_bytes(gzip.decompress(found[0].read_bytes()))
    else:
        shutil.copy(found[0], target)
    return work


def main() -> None:
    if shutil.which("pw.x") is None:
        sys.exit("pw.x not found: apt-get install quantum-espresso")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = pseudo(Path(tmp))
        for ibrav, celldm in CELLDM.items():
            text = INPUT.format(pseudo=work, work=work, ibrav=ibrav, celldm=celldm)
            run = subprocess.run(
                ["pw.x"], input=text, capture_output=True, text=True, check=False, timeout=300
            )
            output = run.stdout
            if "crystal axes" not in output:
                sys.exit(f"ibrav = {ibrav}: pw.x printed no crystal axes\n{output[-2000:]}")
            head = output[: output.index("reciprocal axes")]
            name = f"ibrav{ibrav}".replace("-", "m")
            (OUT / f"{name}.in").write_text(text.replace(str(work), "."))
            (OUT / f"{name}.out").write_text(head)
            print(f"ibrav = {ibrav}: ok")


if __name__ == "__main__":
    main()
