"""A phonon file of a record (phonopy's ``band.yaml``) as the dispersion an ID card draws: the
same shape as EXPLORE's panel of a BandsData node, so that one script draws both."""

from __future__ import annotations

from typing import Any

import numpy as np

from matcloud.core.errors import FieldError, ValidationFailed
from matcloud.work.phonons.band_yaml import read_band_yaml
from matcloud.work.phonons.labels import point_labels, ticks
from matcloud.work.phonons.model import PhononFileError
from matcloud.work.tools.phonons_tool import MAX_BYTES

#: The largest phonon file read (the phonon visualiser's own limit).
MAX_PHONON_BYTES = MAX_BYTES


def band_yaml_panel(data: bytes, name: str) -> dict[str, Any]:
    """``{"kind": "bands", "units": "THz", "plot": {"x", "series", "ticks", "y_title"}}``;
    the branches sorted by frequency at each q-point, a gap (``None``) at each jump of the
    path. ValidationFailed names what is wrong with the file."""
    if len(data) > MAX_PHONON_BYTES:
        raise ValidationFailed(
            f"{name} is over {MAX_PHONON_BYTES:,} bytes.", [FieldError("phonons", "too large")]
        )
    try:
        bands = read_band_yaml(data.decode("utf-8"))
    except (PhononFileError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            f"{name} is not a usable phonopy band.yaml: {exc}", [FieldError("phonons", str(exc))]
        ) from None
    distances = bands.distances()
    frequencies = np.sort(bands.frequencies, axis=1)
    x: list[float | None] = []
    rows: list[np.ndarray | None] = []
    for start, stop in bands.pieces:
        if x:
            x.append(None)  # a jump: no line across it
            rows.append(None)
        x.extend(round(float(d), 8) for d in distances[start:stop])
        rows.extend(frequencies[start:stop])
    series = [
        {"band": branch, "y": [None if r is None else round(float(r[branch]), 5) for r in rows]}
        for branch in range(bands.nbands)
    ]
    return {
        "kind": "bands",
        "units": "THz",
        "plot": {
            "x": x,
            "series": series,
            "ticks": ticks(bands, distances, point_labels(bands)),
            "y_title": "Frequency (THz)",
        },
    }


__all__ = ["MAX_PHONON_BYTES", "band_yaml_panel"]
