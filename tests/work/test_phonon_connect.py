"""Branches connected by eigenvector overlap (``matcloud.work.phonons.connect``) on a crystal
whose modes are known exactly: atom A on anisotropic springs to its own images (acoustic
branches ``2 sqrt(k) |sin(pi q)|``), atom B on springs to fixed points (flat branches). The
branches cross; the file lists each q-point's modes by frequency, as real files do, and the
exact crossing points are on the grid, with the degenerate pair's eigenvectors mixed by a
random rotation there."""

from __future__ import annotations

import numpy as np
import pytest

from matcloud.structures import Species, Structure
from matcloud.work.phonons.connect import connect, sorted_order
from matcloud.work.phonons.model import PhononBands

K_CHAIN = (1.0, 2.25, 4.0)  # x, y, z springs of atom A: band tops 2, 3, 4
K_FLAT = (1.0, 4.0, 9.0)  # atom B: flat bands at 1, 2, 3


def _exact(q: float) -> tuple[np.ndarray, np.ndarray]:
    """Six (frequency, eigenvector) pairs in a fixed branch order: A x,y,z then B x,y,z."""
    frequencies = [2 * np.sqrt(k) * abs(np.sin(np.pi * q)) for k in K_CHAIN]
    frequencies += [np.sqrt(k) for k in K_FLAT]
    vectors = np.zeros((6, 2, 3), dtype=complex)
    for n in range(3):
        vectors[n, 0, n] = 1.0
        vectors[3 + n, 1, n] = 1.0
    return np.array(frequencies), vectors


def _bands(qs: np.ndarray, rng: np.random.Generator) -> tuple[PhononBands, np.ndarray]:
    """The bands as a file lists them (by frequency), and each branch's index per q."""
    frequencies, vectors, truth = [], [], []
    for q in qs:
        f, v = _exact(q)
        order = np.argsort(f, kind="stable")
        f, v = f[order], v[order]
        for i in range(5):  # degenerate pairs: any orthonormal basis of their plane
            if abs(f[i] - f[i + 1]) < 1e-9:
                angle = rng.uniform(0, 2 * np.pi)
                a, b = v[i].copy(), v[i + 1].copy()
                v[i] = np.cos(angle) * a + np.sin(angle) * b
                v[i + 1] = -np.sin(angle) * a + np.cos(angle) * b
        frequencies.append(f)
        vectors.append(v)
        truth.append(np.argsort(order))  # branch b sits at position truth[b]
    structure = Structure(
        lattice=((3.0, 0.0, 0.0), (0.0, 3.0, 0.0), (0.0, 0.0, 3.0)),
        pbc=(True, True, True),
        species=(Species("Si", ("Si",), (1.0,)), Species("Ge", ("Ge",), (1.0,))),
        sites=(("Si", (0.0, 0.0, 0.0)), ("Ge", (1.5, 1.5, 1.5))),
    )
    bands = PhononBands(
        structure=structure,
        masses=np.array([1.0, 1.0]),
        qpoints=np.array([[q, 0.0, 0.0] for q in qs]),
        frequencies=np.array(frequencies),
        eigenvectors=np.array(vectors),
        pieces=[(0, len(qs))],
    )
    return bands, np.array(truth)


@pytest.mark.parametrize("seed", range(5))
def test_connection_follows_each_branch_through_its_crossings(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # q = 1/6 and 1/2 (A-x meets B-x and B-y exactly), from just above Γ (no 0-degeneracy)
    qs = np.concatenate([np.linspace(0.01, 0.5, 60), [1 / 6, 1 / 3]])
    qs.sort()
    bands, truth = _bands(qs, rng)
    order = connect(bands)
    curves = np.take_along_axis(bands.frequencies, order, axis=1).T
    exact = np.array([_exact(q)[0] for q in qs]).T
    # each connected curve is one exact branch all along (matched by its start)
    for curve in curves:
        distance = np.max(np.abs(exact - curve), axis=1)
        assert distance.min() < 1e-9, "a connected curve jumps between branches"
    # sorting by frequency does not: it swaps branches where they cross
    by_frequency = np.take_along_axis(bands.frequencies, sorted_order(bands), axis=1).T
    wrong = [np.max(np.abs(exact - curve), axis=1).min() for curve in by_frequency]
    assert max(wrong) > 0.5
    assert np.any(order != sorted_order(bands))


def test_a_jump_starts_the_branches_again_from_frequency_order() -> None:
    qs = np.linspace(0.05, 0.45, 20)
    bands, _ = _bands(qs, np.random.default_rng(1))
    split = PhononBands(**{**bands.__dict__, "pieces": [(0, 10), (10, 20)]})
    order = connect(split)
    assert list(order[10]) == list(np.argsort(split.frequencies[10], kind="stable"))
    assert np.allclose(split.distances()[10], split.distances()[9])
