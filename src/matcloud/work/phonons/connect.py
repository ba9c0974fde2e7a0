"""Branches through the path by eigenvector overlap, not by sorting frequencies.

Files list each q-point's modes by increasing frequency, so where two branches cross the
sorted lists swap them. Along each continuous piece of the path, the modes of the next
q-point are assigned to the branches so that the summed overlaps ``|<e_b(q)|e_j(q')>|^2``
with the branches' previous eigenvectors are largest (the Hungarian method, where phonopy
picks greedily). The piece goes on through a segment's end when the next segment starts at
the same point (phonopy starts every segment from the sorted order again). After a jump
the branches start again from the sorted order.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped]

from matcloud.work.phonons.model import PhononBands


def connect(bands: PhononBands) -> np.ndarray:
    """``order[iq, b]``: the index, in the file's list at q-point ``iq``, of branch ``b``'s
    mode; ``frequencies[iq, order[iq]]`` is then one connected curve per branch."""
    nq, nb = bands.frequencies.shape
    vectors = bands.eigenvectors.reshape(nq, nb, -1)
    order = np.empty((nq, nb), dtype=int)
    for start, stop in bands.pieces:
        order[start] = np.argsort(bands.frequencies[start], kind="stable")
        reference = vectors[start, order[start]].copy()
        for iq in range(start + 1, stop):
            overlaps = np.abs(reference.conj() @ vectors[iq].T) ** 2  # (branch, mode)
            _, chosen = linear_sum_assignment(-overlaps)
            order[iq] = chosen
            reference = vectors[iq, chosen]
    return order


def sorted_order(bands: PhononBands) -> np.ndarray:
    """The plain alternative: branch ``b`` is the ``b``-th lowest frequency everywhere."""
    return np.argsort(bands.frequencies, axis=1, kind="stable")


__all__ = ["connect", "sorted_order"]
