"""Where slides are in video frames, and which: the image comparison behind the automatic
timings (:mod:`matcloud.learn.timing`).

Frames and pages are reduced to small gray images and compared by normalised cross-correlation
(NCC), which ignores brightness, contrast and compression, after a high-pass filter that keeps
what tells pages apart (their text and drawings) rather than what the pages of a talk share
(header bars, backgrounds). A recording may show the slide full-frame or smaller beside or over
the speaker, so the places where slides appear (the "layouts") are first found on a sample of
frames, from a grid of candidates (the full frame; 40-95 % of it at each corner, the middle of
each side and the centre), then refined to half a pixel. Everything is numpy matrix products:
an hour of video at one frame per second is scored in about a second.
"""

from __future__ import annotations

import numpy as np

#: Width of the images compared (the slides and the frame regions are reduced to it).
CELLS = 64
COARSE_CELLS = 24
#: The high-pass filter's width, in cells.
SHARPEN = 1.0
#: A frame whose best score is under this shows no slide (the speaker only, a blank...).
THRESHOLD = 0.45
#: Frames looked at to find the layouts.
LAYOUT_SAMPLE = 240
MAX_LAYOUTS = 8

Box = tuple[float, float, float, float]  # x, y, w, h in analysis pixels

# -- comparing images -----------------------------------------------------------------------


def _area_weights(start: float, length: float, cells: int, size: int) -> tuple[np.ndarray, int]:
    """The matrix (cells, span) averaging pixels ``[lo, lo + span)`` of a line of ``size`` into
    ``cells`` equal cells covering ``[start, start + length)``, and ``lo``."""
    lo = max(0, int(np.floor(start)))
    hi = min(size, int(np.ceil(start + length)))
    edges = start + length * np.arange(cells + 1) / cells
    pixels = np.arange(lo, hi, dtype=np.float64)
    overlap = np.minimum(pixels[None, :] + 1, edges[1:, None]) - np.maximum(
        pixels[None, :], edges[:-1, None]
    )
    weights = np.clip(overlap, 0.0, None)
    weights /= np.maximum(weights.sum(axis=1, keepdims=True), 1e-9)
    return weights.astype(np.float32), lo


def _normalise(rows: np.ndarray) -> np.ndarray:
    """Rows with zero mean and unit norm (a flat row stays zero), so that dot products are NCC."""
    rows = rows - rows.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, 1e-6), dtype=np.float32)


def _regions(
    images: np.ndarray, box: Box, cells: tuple[int, int], *, sharp: bool = True
) -> np.ndarray:
    """The ``box`` of each image (n, h, w) reduced to ``cells`` (width, height) by area
    averaging, normalised: (n, width * height). ``sharp`` takes away the blurred image (a
    high-pass filter), leaving the text and drawings that tell pages apart rather than the
    header bars and backgrounds that pages of one talk share."""
    n, height, width = images.shape
    x, y, w, h = box
    wx, x0 = _area_weights(x, w, cells[0], width)
    wy, y0 = _area_weights(y, h, cells[1], height)
    blur_x, blur_y = _blur(cells[0]), _blur(cells[1])
    out = np.empty((n, cells[1] * cells[0]), np.float32)
    for at in range(0, n, 256):  # a block at a time: no full-size temporaries
        block = images[at : at + 256, y0 : y0 + wy.shape[1], x0 : x0 + wx.shape[1]]
        grid = wy @ (block.astype(np.float32) @ wx.T)  # (m, cells_y, cells_x)
        if sharp:
            grid -= blur_y @ grid @ blur_x.T
        out[at : at + len(block)] = _normalise(grid.reshape(len(block), -1))
    return out


def _blur(size: int) -> np.ndarray:
    """The (size, size) matrix of a Gaussian blur of SHARPEN cells, weights summing to 1."""
    offsets = np.arange(size)[:, None] - np.arange(size)[None, :]
    weights = np.exp(-0.5 * (offsets / SHARPEN) ** 2)
    return np.asarray(weights / weights.sum(axis=1, keepdims=True), dtype=np.float32)


def slide_templates(
    slides: list[np.ndarray], cells: tuple[int, int], *, sharp: bool = True
) -> np.ndarray:
    """Each slide reduced to ``cells``, normalised: (pages, width * height)."""
    rows = [
        _regions(s[None], (0, 0, s.shape[1], s.shape[0]), cells, sharp=sharp)[0] for s in slides
    ]
    return np.stack(rows)


def cells_for(width: int, aspect: float) -> tuple[int, int]:
    """The grid (width, height) of ``width`` cells for images of ``aspect`` (width / height)."""
    return width, max(4, round(width / aspect))


# -- where the slides are -------------------------------------------------------------------


def slides_aspect(slides: list[np.ndarray]) -> float:
    """The pages' usual width / height."""
    return float(np.median([s.shape[1] / s.shape[0] for s in slides]))


def _iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def _candidates(width: int, height: int, aspect: float) -> list[Box]:
    """The full frame (stretched and fitted), and the slide at 40-95 % of its fitted size at
    each corner, the middle of each side and the centre, 0, 2 % or 4 % in from the edges."""
    fit_w = min(float(width), height * aspect)
    fit_h = fit_w / aspect
    boxes: list[Box] = [
        (0.0, 0.0, float(width), float(height)),
        ((width - fit_w) / 2, (height - fit_h) / 2, fit_w, fit_h),
    ]
    for scale in np.arange(0.40, 0.96, 0.05):
        w, h = fit_w * scale, fit_h * scale
        for margin in (0.0, 0.02 * width, 0.04 * width):
            for ax in (0.0, 0.5, 1.0):
                for ay in (0.0, 0.5, 1.0):
                    if margin and ax == ay == 0.5:
                        continue
                    x = margin + ax * (width - w - 2 * margin)
                    y = margin + ay * (height - h - 2 * margin)
                    if x >= 0 and y >= 0:
                        boxes.append((x, y, w, h))
    return boxes


def _fitness(
    frames: np.ndarray, box: Box, templates: np.ndarray, cells: tuple[int, int], sharp: bool
) -> float:
    """How well ``box`` holds a slide in these frames: the mean of their best scores."""
    return float((_regions(frames, box, cells, sharp=sharp) @ templates.T).max(axis=1).mean())


def _refine(frames: np.ndarray, box: Box, slides: list[np.ndarray], cells: tuple[int, int]) -> Box:
    """``box`` moved and resized by 4, 2, 1 then 0.5 pixels while the frames' mean best score
    improves: on plain images first (a wide, smooth optimum), then on sharpened ones (a narrow,
    exact one)."""
    height, width = frames.shape[1:]
    best = box
    for sharp, steps in ((False, (4.0, 2.0, 1.0)), (True, (1.0, 0.5))):
        templates = slide_templates(slides, cells, sharp=sharp)
        score = _fitness(frames, best, templates, cells, sharp)
        for step in steps:
            for _ in range(30):
                moved = False
                for axis in range(4):
                    for sign in (-1.0, 1.0):
                        trial = list(best)
                        trial[axis] += sign * step
                        x, y, w, h = trial
                        if x < -0.5 or y < -0.5 or x + w > width + 0.5 or y + h > height + 0.5:
                            continue
                        if w < 0.2 * width or h < 0.2 * height:
                            continue
                        fit = _fitness(frames, (x, y, w, h), templates, cells, sharp)
                        if fit > score + 1e-4:
                            best, score, moved = (x, y, w, h), fit, True
                if not moved:
                    break
    return best


def find_layouts(frames: np.ndarray, slides: list[np.ndarray]) -> list[Box]:
    """Where slides appear in these frames (n, h, w): at most MAX_LAYOUTS boxes, most used
    first; [] if no frame shows a slide."""
    aspect = slides_aspect(slides)
    pick = np.unique(np.linspace(0, len(frames) - 1, min(len(frames), LAYOUT_SAMPLE)).astype(int))
    sample = frames[pick]
    n, height, width = sample.shape
    half = sample[:, : height // 2 * 2, : width // 2 * 2].astype(np.float32)
    half = half.reshape(n, height // 2, 2, width // 2, 2).mean(axis=(2, 4))
    coarse = cells_for(COARSE_CELLS, aspect)
    coarse_templates = slide_templates(slides, coarse, sharp=False)
    boxes = _candidates(width // 2, height // 2, aspect)
    best = np.stack(
        [(_regions(half, b, coarse, sharp=False) @ coarse_templates.T).max(axis=1) for b in boxes]
    )  # (boxes, frames)
    winner = best.argmax(axis=0)
    voted = best.max(axis=0) >= THRESHOLD
    if not voted.any():
        return []
    votes = np.bincount(winner[voted], minlength=len(boxes))
    chosen: list[int] = []
    for b in np.argsort(-votes, kind="stable"):
        if votes[b] < max(2, 0.02 * voted.sum()) or len(chosen) == MAX_LAYOUTS:
            break
        if all(_iou(boxes[b], boxes[c]) < 0.6 for c in chosen):
            chosen.append(int(b))
    fine = cells_for(CELLS, aspect)
    layouts: list[Box] = []
    for c in chosen:
        members = [j for j in np.flatnonzero(voted) if _iou(boxes[winner[j]], boxes[c]) >= 0.6]
        members = members[:: max(1, len(members) // 48)]
        start = tuple(2.0 * v for v in boxes[c])
        box = _refine(sample[members], (start[0], start[1], start[2], start[3]), slides, fine)
        if all(_iou(box, other) < 0.8 for other in layouts):
            layouts.append(box)
    return layouts


def score_frames(
    frames: np.ndarray, layouts: list[Box], templates: np.ndarray, cells: tuple[int, int]
) -> np.ndarray:
    """(n, pages): each frame's NCC with each page, the best over the layouts."""
    scores = np.full((len(frames), len(templates)), -1.0, np.float32)
    for at in range(0, len(frames), 1024):
        part = scores[at : at + 1024]
        for box in layouts:
            np.maximum(part, _regions(frames[at : at + 1024], box, cells) @ templates.T, out=part)
    return scores


__all__ = [
    "CELLS",
    "THRESHOLD",
    "Box",
    "cells_for",
    "find_layouts",
    "score_frames",
    "slide_templates",
    "slides_aspect",
]
