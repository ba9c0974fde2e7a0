"""Names of high-symmetry k-points as SeeK-path gives them (``GAMMA``, ``X_1``), written for
people (``Γ``, ``X₁``): shared by the SeeK-path tool and the phonon visualiser."""

from __future__ import annotations

LABELS = {"GAMMA": "Γ", "SIGMA": "Σ", "LAMBDA": "Λ", "DELTA": "Δ"}


def pretty(label: str) -> str:
    """``GAMMA`` -> ``Γ``; ``X_1`` -> ``X₁``; ``X'`` stays."""
    base, _, sub = label.partition("_")
    base = LABELS.get(base, base)
    return base + "".join("₀₁₂₃₄₅₆₇₈₉"[int(c)] if c.isdigit() else c for c in sub)


__all__ = ["LABELS", "pretty"]
