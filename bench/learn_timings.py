"""LEARN: finding the slide timings in a lecture video — speed and accuracy, against the
obvious matcher.

    .venv/bin/python bench/learn_timings.py [--slides 40] [--minutes 10] [--seed 7]

1. A generated lecture: ``--slides`` distinct pages (a PDF written by ``learn.pdfwrite``), and a
   video (H.264, 640x360, 10 fps, made by ffmpeg like the demo lecture's) of about
   ``--minutes`` following a seeded schedule: segments of 6-25 s, most slides full frame, a
   third of the segments with the slide at 55-75 % in a corner or the middle of an edge over a
   moving "speaker" (in ``--layouts`` places: a recording keeps a few), a few with the
   speaker's camera inset, a few speaker-only gaps, some slides skipped and some shown again.
   The schedule is the truth.
2. **Ours**: ``learn.timing.auto_timings`` (the job that runs after an upload).
3. **Anchor**: the obvious matcher — frames sampled at 2 per second, each compared with every
   page scaled to the whole frame (mean absolute difference of 160x90 grey images), the best
   page taken, runs of the same page merged. No search for where the slide sits in the frame
   and no smoothing.
4. Each is scored against the truth: the slide changes found at the right time (within 1 s,
   the issue's tolerance) and in the right order, the largest error of those, the changes
   missed and those invented; and its wall time on this machine.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from matcloud.learn import demo_media  # noqa: E402
from matcloud.learn.demo_media import Segment, slides_video  # noqa: E402
from matcloud.learn.media import read_pgm, render_pdf, sample_frames  # noqa: E402
from matcloud.learn.pdfwrite import Rect, Text, write_pdf  # noqa: E402
from matcloud.learn.timing import Timing, auto_timings  # noqa: E402

CORNERS = ["tl", "tr", "bl", "br", "mr", "ml"]
WORDS = (
    "band gap Brillouin zone phonon dispersion density functional theory pseudopotential "
    "k-point mesh Fermi surface spin orbit coupling Wannier function Hubbard correction "
    "convergence test cutoff energy lattice parameter elastic constant dielectric tensor"
).split()


def pages(count: int, rng: random.Random) -> bytes:
    """``count`` distinct slides: a title bar, three lines of text, a pattern of boxes."""
    made = []
    for i in range(count):
        colour = (rng.random() * 0.6, rng.random() * 0.6, rng.random() * 0.6)
        items: list[Text | Rect] = [
            Rect(0, 460, 960, 80, colour),
            Text(40, 485, 34, f"{i + 1}. {' '.join(rng.sample(WORDS, 3)).capitalize()}", True,
                 (1, 1, 1)),
        ]  # fmt: skip
        items += [Text(40, 400 - 34 * k, 20, " ".join(rng.sample(WORDS, 8))) for k in range(3)]
        for _ in range(rng.randint(3, 9)):
            shade = (rng.random(), rng.random(), rng.random())
            items.append(
                Rect(rng.uniform(40, 800), rng.uniform(40, 250), rng.uniform(30, 150),
                     rng.uniform(20, 120), shade)
            )  # fmt: skip
        made.append(items)
    return write_pdf(made)


def schedule(count: int, minutes: float, layouts: int, rng: random.Random) -> list[Segment]:
    """Mostly forward through the slides, some skipped, some shown again; placements mixed
    among full frame, a camera inset, and ``layouts`` places for a smaller slide (a recording
    keeps a few: the slide in a corner beside the speaker, say)."""
    places = [(rng.choice(CORNERS), round(rng.uniform(0.55, 0.75), 2)) for _ in range(layouts)]
    found: list[Segment] = []
    total, page = 0.0, 0
    while total < minutes * 60 - 5:
        seconds = round(rng.uniform(6, 25), 1)
        roll = rng.random()
        if roll < 0.06 and found:
            found.append((found[-1][0], "speaker", 1.0, seconds))
            total += seconds
            continue
        if roll < 0.40:
            placement, fraction = rng.choice(places)
        elif roll < 0.48:
            placement, fraction = "cam", 1.0
        else:
            placement, fraction = "full", 1.0
        found.append((page, placement, fraction, seconds))
        total += seconds
        step = rng.random()
        if step < 0.1 and page > 2:
            page -= rng.randint(1, 3)  # back to an earlier slide
        elif step < 0.2:
            page += 2  # one skipped
        else:
            page += 1
        page = min(page, count - 1)
    return found


def naive(video: Path, slides: list[np.ndarray], fps: float = 2.0) -> list[Timing]:
    """The anchor: each sampled frame is the page it differs least from, whole frame to whole
    page; runs merged."""
    width, height = 160, 90
    frames, times = sample_frames(video, fps=fps, width=width, height=height)
    pages = np.stack([_resize(s, width, height) for s in slides]).astype(np.float32)
    found: list[Timing] = []
    for frame, t in zip(frames.astype(np.float32), times, strict=True):
        best = int(np.abs(pages - frame).mean(axis=(1, 2)).argmin())
        if not found or found[-1].slide != best:
            found.append(Timing(round(float(t), 3) if found else 0.0, best))
    return found


def _resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    rows = np.linspace(0, image.shape[0] - 1, height).round().astype(int)
    cols = np.linspace(0, image.shape[1] - 1, width).round().astype(int)
    return image[np.ix_(rows, cols)]


def score(found: list[Timing], truth: list[Timing]) -> dict[str, float]:
    """Changes found (same slide, within 1 s of a true change, in order), missed, invented."""
    matched, errors = 0, []
    j = 0
    for t in truth[1:]:
        while j < len(found) and found[j].start < t.start - 1.0:
            j += 1
        if j < len(found) and found[j].slide == t.slide and abs(found[j].start - t.start) <= 1.0:
            matched += 1
            errors.append(abs(found[j].start - t.start))
            j += 1
    changes = len(truth) - 1
    return {
        "changes": changes,
        "found": matched,
        "missed": changes - matched,
        "invented": max(len(found) - 1 - matched, 0),
        "max_error": max(errors) if errors else float("nan"),
        "same_sequence": float([t.slide for t in found] == [t.slide for t in truth]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slides", type=int, default=40)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--layouts", type=int, default=2, help="places of a smaller slide")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    demo_media.MAKE_TIMEOUT = 1800.0  # a long video takes longer to make than the demo's
    with tempfile.TemporaryDirectory(prefix="learn-bench-") as tmp:
        work = Path(tmp)
        pdf = work / "slides.pdf"
        pdf.write_bytes(pages(args.slides, rng))
        plan = schedule(args.slides, args.minutes, args.layouts, rng)
        started = time.perf_counter()
        video = work / "lecture.mp4"
        truth = slides_video(render_pdf(pdf, work / "png", width=640), plan, video)
        made = time.perf_counter() - started
        grey = [read_pgm(p) for p in render_pdf(pdf, work / "pgm", width=320, fmt="pgm")]
        length = sum(s[3] for s in plan)
        placed = sum(1 for s in plan if s[1] not in ("full", "cam", "speaker"))
        print(
            f"lecture: {args.slides} slides, {len(plan)} segments ({placed} smaller, in "
            f"{len({s[1:3] for s in plan if s[1] not in ('full', 'cam', 'speaker')})} places), "
            f"{len(truth) - 1} slide changes, {length / 60:.1f} min; video made in "
            f"{made:.0f} s ({video.stat().st_size / 1e6:.1f} MB)"
        )
        results = {}
        for name, run in (("ours", lambda: auto_timings(video, grey)),
                          ("anchor", lambda: naive(video, grey))):  # fmt: skip
            t0 = time.perf_counter()
            found = run()
            results[name] = score(found, truth) | {"seconds": time.perf_counter() - t0}
        print("\n| | changes found within 1 s | missed | invented | max error s | same sequence "
              "| wall time s |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---|---:|")
        for name, r in results.items():
            print(
                f"| {name} | {r['found']:.0f} of {r['changes']:.0f} | {r['missed']:.0f} "
                f"| {r['invented']:.0f} | {r['max_error']:.3f} | "
                f"{'yes' if r['same_sequence'] else 'no'} | {r['seconds']:.1f} |"
            )


if __name__ == "__main__":
    main()
