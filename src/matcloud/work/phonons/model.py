"""Phonon bands along a path, as every reader returns them and the tool shows them.

``eigenvectors`` are the mass-weighted eigenvectors of the dynamical matrix, one unit vector
per mode, in the *atomic-position* phase convention (phonopy's): the displacement of atom
``j`` in the cell at lattice vector ``R`` is ``e_j / sqrt(m_j) * exp(2πi q·(R + r_j))``.
A reader of a file in the other convention (Quantum ESPRESSO's, the phase of ``R`` only)
converts (:func:`atom_phase`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from matcloud.structures import Structure

#: 1 THz in cm^-1 and meV.
THZ_TO_CM1 = 33.35640951981521
THZ_TO_MEV = 4.135667696923859


@dataclass(frozen=True)
class PhononBands:
    structure: Structure
    #: Atomic masses (a.m.u.), one per site.
    masses: np.ndarray
    #: q-points in reduced coordinates of the cell's reciprocal lattice, (nq, 3).
    qpoints: np.ndarray
    #: Frequencies (THz; negative for imaginary ones), (nq, nbands), in the file's order.
    frequencies: np.ndarray
    #: Mass-weighted unit eigenvectors, (nq, nbands, natoms, 3), complex.
    eigenvectors: np.ndarray
    #: ``[start, stop)`` index ranges of the path's continuous pieces (a jump between them).
    pieces: list[tuple[int, int]]
    #: Labels of q-points given by the file, by index.
    labels: dict[int, str] = field(default_factory=dict)
    source: str = ""

    @property
    def nqpoints(self) -> int:
        return int(self.qpoints.shape[0])

    @property
    def nbands(self) -> int:
        return int(self.frequencies.shape[1])

    def cartesian_q(self) -> np.ndarray:
        """q-points in Cartesian coordinates (1/Å, without the 2π)."""
        lattice = np.array(self.structure.lattice, dtype=float)
        return self.qpoints @ np.linalg.inv(lattice).T

    def distances(self) -> np.ndarray:
        """The path coordinate (1/Å): cumulative within pieces, not advanced by a jump."""
        q = self.cartesian_q()
        steps = np.zeros(self.nqpoints)
        steps[1:] = np.linalg.norm(np.diff(q, axis=0), axis=1)
        for start, _ in self.pieces:
            steps[start] = 0.0
        distances: np.ndarray = np.cumsum(steps)
        return distances

    def displacements(self, iq: int, band: int) -> np.ndarray:
        """The mode's displacement pattern ``e_j / sqrt(m_j)`` scaled to a largest atom
        displacement of 1, (natoms, 3) complex."""
        vector: np.ndarray = self.eigenvectors[iq, band] / np.sqrt(self.masses)[:, None]
        largest = float(np.max(np.linalg.norm(vector, axis=1)))
        return vector / largest if largest > 0 else vector


def atom_phase(eigenvectors: np.ndarray, qpoints: np.ndarray, fractional: np.ndarray) -> np.ndarray:
    """Eigenvectors in the lattice-vector phase convention -> the atomic-position one:
    ``e'_j = e_j * exp(-2πi q·r_j)`` (``fractional``: the sites' reduced coordinates)."""
    phases = np.exp(-2j * np.pi * (qpoints @ fractional.T))  # (nq, natoms)
    converted: np.ndarray = eigenvectors * phases[:, None, :, None]
    return converted


def normalised(vectors: np.ndarray) -> np.ndarray:
    """Each mode (last two axes: atoms x 3) scaled to unit norm."""
    norms = np.sqrt(np.sum(np.abs(vectors) ** 2, axis=(-2, -1), keepdims=True))
    return vectors / np.where(norms > 0, norms, 1.0)


class PhononFileError(ValueError):
    """A phonon file that cannot be used; the message says what and where (line)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


__all__ = ["THZ_TO_CM1", "THZ_TO_MEV", "PhononBands", "PhononFileError", "atom_phase", "normalised"]
