"""When each slide is on screen: found in the video (``auto_timings``) or read from a CSV.

Finding them: frames sampled from the video (2 a second) are scored against every page where
slides appear in the picture (:mod:`matcloud.learn.framematch`: full-frame, or smaller beside
or over the speaker). A dynamic programme (Viterbi) then picks the sequence of pages with a price
on every change, so that noise cannot flip the page and a stray frame cannot make a segment;
frames showing no page (the speaker alone) keep the page before. Last, each change is put on the
exact frame where it happens, by decoding the video around it at its own frame rate: the error
is a frame or less, not the half second between samples.

Limits: slides must appear as pixels of the recording (a screen capture or a mixed-in slide
feed), upright and unrotated, not filmed off a projector; a slide shown for less than about two
sampling intervals (1 s at the default rate) may be missed; a blank page cannot be recognised.
"""

from __future__ import annotations

import csv
import io
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matcloud.learn.framematch import (
    CELLS,
    THRESHOLD,
    Box,
    cells_for,
    find_layouts,
    score_frames,
    slide_templates,
    slides_aspect,
)
from matcloud.learn.media import MediaError, frames_between, probe_video, sample_frames

#: Frames are analysed with this long side, in pixels.
ANALYSIS_SIZE = 192
#: The score a change of slide costs: a change needs this much better evidence.
PENALTY = 0.1
#: A segment needs this many frames with a slide recognised in it.
MIN_FRAMES = 2
#: At most this many frames are kept (an hour at 2 a second, 150 MB): longer videos are
#: sampled less often.
MAX_SAMPLES = 7200


@dataclass(frozen=True)
class Timing:
    start: float  # seconds from the start of the video
    slide: int  # 0-based page index of the PDF


# -- the sequence of slides -----------------------------------------------------------------


def smooth_sequence(
    scores: np.ndarray,
    *,
    threshold: float = THRESHOLD,
    penalty: float = PENALTY,
    min_frames: int = MIN_FRAMES,
) -> np.ndarray:
    """The page shown at each frame, from its scores (n, pages): the sequence maximising the
    total score less ``penalty`` per change (Viterbi). A frame scoring under ``threshold`` on
    every page shows none and keeps the page before it; a segment with fewer than
    ``min_frames`` recognised frames is a glitch and goes to the segment before it (or after
    it, at the start). All -1 if no frame shows a page."""
    n, pages = scores.shape
    shown = scores.max(axis=1) >= threshold if n else np.zeros(0, bool)
    if not shown.any():
        return np.full(n, -1, np.int64)
    gain = np.where(shown[:, None], scores, 0.0)
    back = np.empty((n, pages), np.int64)
    total = gain[0].astype(np.float64)
    index = np.arange(pages)
    for t in range(1, n):
        best = int(total.argmax())
        stay = total >= total[best] - penalty  # a tie keeps the page
        back[t] = np.where(stay, index, best)
        total = np.where(stay, total, total[best] - penalty) + gain[t]
    path = np.empty(n, np.int64)
    path[-1] = int(total.argmax())
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    for t in range(1, n):  # a frame showing no slide keeps the one before
        if not shown[t]:
            path[t] = path[t - 1]
    while True:
        starts = [0, *np.flatnonzero(path[1:] != path[:-1]) + 1]
        ends = [*starts[1:], n]
        runs = [(a, b, int(shown[a:b].sum())) for a, b in zip(starts, ends, strict=True)]
        if len(runs) == 1:
            return path
        weakest = min(range(len(runs)), key=lambda r: (runs[r][2], runs[r][0]))
        a, b, count = runs[weakest]
        if count >= min_frames:
            return path
        path[a:b] = path[a - 1] if a > 0 else path[b]


# -- when exactly ---------------------------------------------------------------------------


def _change_time(
    video: Path,
    window: tuple[float, float],
    pages: tuple[int, int],
    layouts: list[Box],
    templates: np.ndarray,
    cells: tuple[int, int],
    size: tuple[int, int],
) -> float | None:
    """The time of the first frame in ``window`` showing the new page rather than the old one
    (the split that agrees best with the frames), or None if the window cannot be decoded."""
    try:
        frames, times = frames_between(video, *window, width=size[0], height=size[1])
    except MediaError:
        return None
    if len(frames) == 0:
        return None
    old, new = pages
    scores = score_frames(frames, layouts, templates[[old, new]], cells)
    is_new = (scores[:, 1] >= scores[:, 0]) & (scores[:, 1] >= THRESHOLD)
    # Mistakes of splitting before frame k: new frames before it, old ones from it.
    before = np.concatenate([[0], np.cumsum(is_new)])
    after = np.concatenate([np.cumsum((~is_new)[::-1])[::-1], [0]])
    k = int(np.argmin(before + after))
    return float(times[k]) if k < len(times) else None


def auto_timings(video: Path, slides: list[np.ndarray], *, fps: float = 2.0) -> list[Timing]:
    """The slides' timings found in the video (see the module's docstring), sorted, the first at
    0, consecutive slides different. ``slides`` are the pages as gray images (any size; 320
    pixels wide is plenty). ``fps`` frames a second are compared (fewer beyond an hour: see
    MAX_SAMPLES). MediaError if the video cannot be read or no page is recognised in it (the
    timings must then be given by hand)."""
    if not slides:
        raise ValueError("no slides to look for")
    info = probe_video(video)
    scale = ANALYSIS_SIZE / max(info.width, info.height)
    size = (max(16, round(info.width * scale)), max(16, round(info.height * scale)))
    rate = min(fps, MAX_SAMPLES / info.duration)
    frames, times = sample_frames(video, fps=rate, width=size[0], height=size[1])
    if len(frames) == 0:
        raise MediaError("no picture could be decoded from the video")
    layouts = find_layouts(frames, slides)
    if not layouts:
        raise MediaError(
            "none of the PDF's pages could be recognised in the video: give the timings as a CSV"
        )
    cells = cells_for(CELLS, slides_aspect(slides))
    templates = slide_templates(slides, cells)
    path = smooth_sequence(score_frames(frames, layouts, templates, cells))
    del frames
    if len(path) == 0 or (path < 0).all():  # a place for slides, but none of these pages in it
        raise MediaError(
            "none of the PDF's pages could be recognised in the video: give the timings as a CSV"
        )
    changes = [int(i) for i in np.flatnonzero(path[1:] != path[:-1]) + 1]
    bounds = [0, *changes, len(path)]

    def exact(j: int) -> float:
        """The change at sample i = changes[j] is between samples i - 1 and i: look from a
        sample before to a sample after, but not across the changes before and after it."""
        before, i, after = bounds[j : j + 3]
        window = (times[max(i - 2, before)], times[min(i + 1, after - 1)] + 0.001)
        pages = (int(path[i - 1]), int(path[i]))
        found = _change_time(video, window, pages, layouts, templates, cells, size)
        return float(times[i]) if found is None else found

    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        starts = list(pool.map(exact, range(len(changes))))
    timings = [Timing(0.0, int(path[0]))]
    for i, start in zip(changes, starts, strict=True):
        if start <= timings[-1].start:  # two changes within a frame: keep the later page
            timings[-1] = Timing(timings[-1].start, int(path[i]))
        else:
            timings.append(Timing(round(start, 3), int(path[i])))
    merged = [timings[0]]
    for t in timings[1:]:
        if t.slide != merged[-1].slide:
            merged.append(t)
    return merged


# -- from a CSV -----------------------------------------------------------------------------

MAX_ROWS = 10_000


def _seconds(text: str) -> float | None:
    """Seconds from ``12.5``, ``mm:ss(.f)`` or ``hh:mm:ss(.f)``; None if it is none of them."""
    parts = text.strip().split(":")
    whole, fraction = re.compile(r"[0-9]+"), re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")
    if not 1 <= len(parts) <= 3 or not fraction.fullmatch(parts[-1]):
        return None
    if not all(whole.fullmatch(p) for p in parts[:-1]):
        return None
    numbers = [float(p) for p in parts]
    if any(n >= 60 for n in numbers[1:]):  # the minutes and seconds after a colon
        return None
    seconds = 0.0
    for number in numbers:
        seconds = seconds * 60 + number
    return seconds


def parse_timings_csv(text: str, *, pages: int, duration: float) -> list[Timing]:
    """Timings from a CSV with a header row naming the columns ``slide`` (the 1-based page
    number) and ``start`` (seconds, ``mm:ss`` or ``hh:mm:ss``, fractions allowed), one row per
    change of slide, starts increasing and within the video; other columns are ignored, and
    ``;`` or a tab may separate the columns instead of ``,``. If the first start is after 0, the
    first slide is taken to start at 0 (the video shows something from its first frame). A
    mistake raises MediaError naming the line."""
    text = text.lstrip("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = next((d for d in ",;\t" if d in first), ",")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    if not rows:
        raise MediaError("the timings file is empty; expected a header row slide,start")
    number, header = rows[0]
    names = [cell.strip().lower() for cell in header]
    if "slide" not in names or "start" not in names:
        raise MediaError(
            f"line {number}: the header must name the columns slide and start "
            f"(found: {delimiter.join(names)})"
        )
    col_slide, col_start = names.index("slide"), names.index("start")
    if len(rows) == 1:
        raise MediaError("the timings file has no rows after its header")
    if len(rows) > MAX_ROWS + 1:
        raise MediaError(f"the timings file has over {MAX_ROWS} rows")
    timings: list[Timing] = []
    for number, row in rows[1:]:
        if len(row) <= max(col_slide, col_start):
            raise MediaError(f"line {number}: expected a slide and a start")
        slide_text, start_text = row[col_slide].strip(), row[col_start].strip()
        if not re.fullmatch(r"[0-9]+", slide_text):
            raise MediaError(f"line {number}: slide {slide_text!r} is not a page number")
        slide = int(slide_text)
        if not 1 <= slide <= pages:
            raise MediaError(
                f"line {number}: slide {slide} does not exist (the PDF has {pages} pages)"
            )
        start = _seconds(start_text)
        if start is None:
            raise MediaError(
                f"line {number}: start {start_text!r} is not a time (seconds, mm:ss or hh:mm:ss)"
            )
        if start >= duration:
            raise MediaError(
                f"line {number}: start {start_text} is at or beyond the end of the video "
                f"({duration:.1f} s)"
            )
        if timings and start <= timings[-1].start:
            raise MediaError(
                f"line {number}: start {start_text} is not after the previous start "
                f"({timings[-1].start:g} s)"
            )
        timings.append(Timing(start, slide - 1))
    if timings[0].start > 0:
        timings[0] = Timing(0.0, timings[0].slide)
    return timings


__all__ = ["Timing", "auto_timings", "parse_timings_csv", "smooth_sequence"]
