"""Running ASE's parsers safely, and ASE ``Atoms`` -> :class:`Structure`.

ASE readers signal bad input with whatever exception the line that broke raised (IndexError,
AssertionError, StopIteration, …) and emit warnings freely. :func:`run_parser` turns all of
that into a :class:`StructureError` with a readable reason and silences the warnings, so
callers see one exception type whatever the file contained. (``warnings.catch_warnings`` is
process-wide: while a file is parsed, warnings raised by other threads are silenced too.)
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import numpy as np
from ase import Atoms
from ase.io import read as ase_read

from matcloud.structures.model import (
    MAX_SITES,
    Species,
    Structure,
    StructureError,
    lattice_for,
)

T = TypeVar("T")

_EARLY_END = (StopIteration, EOFError)


def run_parser(what: str, parse: Callable[[], T]) -> T:
    """Call ``parse`` with warnings silenced; any failure becomes a StructureError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                return parse()
    except StructureError:
        raise
    except Exception as exc:  # third-party parsers raise anything on bad input
        raise StructureError(f"could not read this {what} file: {reason(exc)}") from exc


def reason(exc: BaseException) -> str:
    """A short, person-readable account of why a parser gave up."""
    message = " ".join(str(exc).split())
    if (
        isinstance(exc, _EARLY_END)
        or "StopIteration" in message
        or (isinstance(exc, IndexError) and "pop from empty list" in message)
    ):
        return "the file ends before the structure is complete"
    if isinstance(exc, KeyError):
        return f"unknown element or keyword {message}"
    if isinstance(exc, RecursionError):
        return "an expression is nested too deeply"
    if isinstance(exc, MemoryError):
        return "the file describes more data than can be held"
    if not message:
        return f"malformed content ({type(exc).__name__})"
    return message if len(message) <= 200 else message[:197] + "..."


def read_frames(text: str, ase_format: str, what: str, **options: Any) -> list[Atoms]:
    """``ase.io.read(..., index=":")`` on an in-memory text stream."""

    def parse() -> list[Atoms]:
        result = ase_read(io.StringIO(text), format=ase_format, index=":", **options)
        return [result] if isinstance(result, Atoms) else list(result)

    return run_parser(what, parse)


def atoms_to_structure(atoms: Atoms, label: str = "") -> Structure:
    """One species per element; positions and cell as ASE holds them (Å)."""
    if len(atoms) > MAX_SITES:
        raise StructureError(
            f"the structure has {len(atoms)} atoms; at most {MAX_SITES} are accepted"
        )
    if len(atoms) == 0:
        raise StructureError("the structure has no atoms")
    positions = np.asarray(atoms.positions, dtype=float)
    cell = np.asarray(atoms.cell.array, dtype=float)
    if not np.all(np.isfinite(cell)):
        raise StructureError("the cell has a component that is not a finite number")
    if not np.all(np.isfinite(positions)):
        raise StructureError("an atom has a coordinate that is not a finite number")
    pbc = tuple(bool(flag) for flag in atoms.pbc)
    names = atoms.get_chemical_symbols()  # type: ignore[no-untyped-call]
    symbols = [str(symbol) for symbol in names]
    if any(pbc) and not cell.any():
        raise StructureError("the file marks directions as periodic but gives no cell")
    return Structure(
        lattice=lattice_for(cell.tolist(), pbc),
        pbc=(pbc[0], pbc[1], pbc[2]),
        species=element_species(symbols),
        sites=tuple(zip(symbols, (tuple(p) for p in positions.tolist()), strict=True)),
        label=label,
    )


def element_species(symbols: Iterable[str]) -> tuple[Species, ...]:
    """An ordered species per distinct symbol, in order of first appearance."""
    seen = dict.fromkeys(symbols)
    return tuple(Species(symbol, (symbol,), (1.0,)) for symbol in seen)
