"""Chemical formulae from an element composition, following the OPTIMADE v1.2 rules.

OPTIMADE needs integer proportions even for partially occupied structures ("integers that
within reasonable approximation indicate the correct chemical proportions", the rounding left
to the implementation). Ours: scale the amounts by the smallest integer (up to
:data:`MAX_MULTIPLIER`) that brings every amount within :data:`RELATIVE_TOLERANCE` of an
integer, then divide by the GCD. So Si0.9O1 becomes ``O10Si9`` and an ordered cell's counts
are used as they are. The Hill formula is only given when the amounts are integers (the spec
says to leave it unset otherwise).
"""

from __future__ import annotations

import itertools
import math
import string
from collections.abc import Iterator, Mapping
from functools import reduce

RELATIVE_TOLERANCE = 5e-3
MAX_MULTIPLIER = 1000
_INTEGER_TOLERANCE = 1e-6


def anonymous_symbols() -> Iterator[str]:
    """A, B, …, Z, Aa, Ab, …, Az, Ba, … — the order optimade-python-tools validates.

    The spec's prose lists "Z, Aa, Ba, …, Za, Ab", but the reference implementation (and so
    every validator built on it) enumerates "Z, Aa, Ab, …"; the two agree on the first 26
    symbols, which is every real structure. We follow the validator so our responses pass it.
    """
    for size in itertools.count(1):
        for letters in itertools.product(string.ascii_lowercase, repeat=size):
            yield letters[0].upper() + "".join(letters[1:])


def integer_amounts(amounts: Mapping[str, float]) -> dict[str, int] | None:
    """The amounts when all are integers (within float noise), else ``None``."""
    rounded = {element: round(value) for element, value in amounts.items()}
    if all(
        abs(value - rounded[element]) <= _INTEGER_TOLERANCE and rounded[element] > 0
        for element, value in amounts.items()
    ):
        return rounded
    return None


def approximate_integers(amounts: Mapping[str, float]) -> dict[str, int]:
    """Smallest integer proportions approximating ``amounts`` (see the module docstring)."""
    exact = integer_amounts(amounts)
    if exact is not None:
        return exact
    best: tuple[float, int] = (math.inf, 1)
    for multiplier in range(1, MAX_MULTIPLIER + 1):
        error = max(
            abs(multiplier * value - max(round(multiplier * value), 1)) / (multiplier * value)
            for value in amounts.values()
        )
        if error <= RELATIVE_TOLERANCE:
            best = (error, multiplier)
            break
        if error < best[0]:
            best = (error, multiplier)
    multiplier = best[1]
    return {element: max(round(multiplier * value), 1) for element, value in amounts.items()}


def reduce_counts(counts: Mapping[str, int]) -> dict[str, int]:
    divisor = reduce(math.gcd, counts.values(), 0) or 1
    return {element: count // divisor for element, count in counts.items()}


def hill_order(elements: list[str]) -> list[str]:
    """C first and H second when there is carbon; otherwise alphabetical."""
    ordered = sorted(elements)
    if "C" not in ordered:
        return ordered
    rest = [element for element in ordered if element not in ("C", "H")]
    return ["C"] + (["H"] if "H" in ordered else []) + rest


def format_formula(counts: Mapping[str, int], order: list[str]) -> str:
    return "".join(f"{element}{_proportion(counts[element])}" for element in order)


def _proportion(count: int) -> str:
    return "" if count == 1 else str(count)


def reduced_formula(amounts: Mapping[str, float]) -> str:
    """``chemical_formula_reduced``: alphabetical, reduced, proportion 1 omitted."""
    counts = reduce_counts(approximate_integers(amounts))
    return format_formula(counts, sorted(counts))


def anonymous_formula(amounts: Mapping[str, float]) -> str:
    """``chemical_formula_anonymous``: the reduced proportions, largest first, as A, B, …"""
    counts = reduce_counts(approximate_integers(amounts))
    proportions = sorted(counts.values(), reverse=True)
    return "".join(
        f"{symbol}{_proportion(count)}"
        for symbol, count in zip(anonymous_symbols(), proportions, strict=False)
    )


def hill_formula(amounts: Mapping[str, float], *, reduce_to_formula_unit: bool) -> str | None:
    """``chemical_formula_hill``, or ``None`` when amounts are not integers.

    For a crystal the formula unit (the reduced proportions) is the chemically relevant unit;
    for a molecule (nothing periodic) it is the whole molecule, so H2O2 stays H2O2.
    """
    counts = integer_amounts(amounts)
    if counts is None:
        return None
    if reduce_to_formula_unit:
        counts = reduce_counts(counts)
    return format_formula(counts, hill_order(list(counts)))


def descriptive_formula(amounts: Mapping[str, float]) -> str:
    """``chemical_formula_descriptive``: the cell's own amounts in Hill order.

    Not reduced (a conventional cell of NaCl reads Cl4Na4), and decimal where occupancy is
    partial (Ge0.5HSi0.5), so it says what the file holds.
    """
    return "".join(
        f"{element}{_decimal(amounts[element])}" for element in hill_order(list(amounts))
    )


def _decimal(value: float) -> str:
    rounded = round(value)
    if abs(value - rounded) <= _INTEGER_TOLERANCE:
        return "" if rounded == 1 else str(rounded)
    return f"{value:.4f}".rstrip("0").rstrip(".")
