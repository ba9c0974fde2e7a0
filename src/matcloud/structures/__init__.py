"""Crystal structures shared by every section: one model, its readers, OPTIMADE properties.

- :class:`Structure` / :class:`Species`: lattice, periodicity, species (with partial
  occupancy) and Cartesian sites; validated on construction.
- :func:`read_structures` / :func:`structure_format`: CIF, POSCAR/CONTCAR, (ext)XYZ, XSF and
  pw.x input, from bytes in memory.
- :func:`from_aiida_attributes`: an AiiDA ``StructureData`` node's attributes.
- :func:`optimade_properties`: the OPTIMADE v1.2 ``structures`` attributes.

Every failure on bad input is a :class:`StructureError` (a ``ValueError``) with a message for
a person; nothing bigger than :data:`MAX_SITES` sites is ever built.
"""

from matcloud.structures.aiida import from_aiida_attributes
from matcloud.structures.model import MAX_SITES, Species, Structure, StructureError
from matcloud.structures.optimade import optimade_properties
from matcloud.structures.readers import (
    MAX_FILE_BYTES,
    MAX_FRAMES,
    read_structures,
    structure_format,
)

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_FRAMES",
    "MAX_SITES",
    "Species",
    "Structure",
    "StructureError",
    "from_aiida_attributes",
    "optimade_properties",
    "read_structures",
    "structure_format",
]
