"""XCrySDen XSF (``*.xsf``, ``*.axsf``): one structure per animation step.

ASE reads the file. XSF says its own periodicity: ``CRYSTAL`` is 3D, ``SLAB`` 2D (the third
direction not periodic), ``POLYMER`` 1D and ``ATOMS`` a molecule. The announced step and
atom counts are checked first so that a huge claim is refused with a clear message.
"""

from __future__ import annotations

from matcloud.structures.model import MAX_SITES, Structure, StructureError
from matcloud.structures.readers._ase import atoms_to_structure, read_frames
from matcloud.structures.readers.limits import MAX_FRAMES


def read_xsf(text: str) -> list[Structure]:
    _check_counts(text)
    return [atoms_to_structure(atoms) for atoms in read_frames(text, "xsf", "XSF")]


def _check_counts(text: str) -> None:
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line and not line.startswith("#")]
    for index, line in enumerate(lines):
        if line.startswith("ANIMSTEPS"):
            steps = _count(line.split()[1:], "ANIMSTEPS")
            if steps > MAX_FRAMES:
                raise StructureError(f"the XSF announces {steps} steps; at most {MAX_FRAMES}")
        elif line.startswith("PRIMCOORD") and index + 1 < len(lines):
            natoms = _count(lines[index + 1].split()[:1], "PRIMCOORD")
            if natoms > MAX_SITES:
                raise StructureError(
                    f"the XSF announces {natoms} atoms; at most {MAX_SITES} are accepted"
                )


def _count(words: list[str], keyword: str) -> int:
    try:
        return int(words[0])
    except (IndexError, ValueError):
        raise StructureError(f"{keyword} should be followed by a whole number") from None
