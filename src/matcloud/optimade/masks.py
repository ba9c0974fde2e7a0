"""Which elements a structure has, as bits of two integers (``elements_mask_lo`` holds
elements 1-62, ``elements_mask_hi`` 63-118; bit ``Z - 1`` of the pair).

Filters on ``elements`` (``HAS``, ``HAS ALL``, ``HAS ANY``, their negations, ``AND``/``OR`` of
them) test these bits on the entry's row instead of probing the values table once per
candidate and element: the values table then only *drives* a count (the rarest element's
index range), and every other element test, negated ones included, costs nothing more.
Measured at 100,000 structures: ``HAS ALL "Cu","O"`` counted in 20.7 ms with a probe per
candidate, 11.7 ms with the bits. Symbols that are not elements get no bit: filters on them
use the values table as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ase.data import atomic_numbers

#: Bits per column: 62 keeps every mask a positive 64-bit integer on SQLite and PostgreSQL.
BITS_PER_COLUMN = 62
COLUMNS = 2
_BITS = {
    symbol: number - 1
    for symbol, number in atomic_numbers.items()
    if 0 < number <= BITS_PER_COLUMN * COLUMNS
}


def element_bit(symbol: str) -> int | None:
    """The bit of a chemical element (``None`` for anything else: ``X``, ``vacancy``...)."""
    return _BITS.get(symbol)


def element_masks(elements: Iterable[str]) -> tuple[int, int]:
    """The two mask integers of a list of element symbols (non-elements are left out)."""
    masks = [0] * COLUMNS
    for symbol in elements:
        bit = _BITS.get(symbol)
        if bit is not None:
            masks[bit // BITS_PER_COLUMN] |= 1 << (bit % BITS_PER_COLUMN)
    return masks[0], masks[1]


def split_bits(bits: Iterable[int]) -> list[int]:
    """A set of bits as one mask per column."""
    masks = [0] * COLUMNS
    for bit in bits:
        masks[bit // BITS_PER_COLUMN] |= 1 << (bit % BITS_PER_COLUMN)
    return masks


def _default(column: int) -> Any:
    def default(context: Any) -> int | None:
        elements = context.get_current_parameters().get("elements")
        return element_masks(elements)[column] if isinstance(elements, list) else None

    default.__name__ = f"elements_mask_default_{column}"
    return default


#: Column defaults: the masks of the row's ``elements`` (inserting code need not know them).
mask_lo_default = _default(0)
mask_hi_default = _default(1)

__all__ = [
    "BITS_PER_COLUMN",
    "COLUMNS",
    "element_bit",
    "element_masks",
    "mask_hi_default",
    "mask_lo_default",
    "split_bits",
]
