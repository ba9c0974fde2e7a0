"""Structures the WORK tests hand to the tools."""

from __future__ import annotations

#: Diamond silicon, primitive cell, as a POSCAR (cF2, Fd-3m, path Γ—X—U|K—Γ—L—W—X).
SI = b"""Si diamond
1.0
0 2.715 2.715
2.715 0 2.715
2.715 2.715 0
Si
2
Direct
0 0 0
0.25 0.25 0.25
"""
