"""The demo lecture: slides drawn by :mod:`matcloud.learn.pdfwrite` and a video made from them
with ffmpeg, following a known schedule.

It gives a fresh install something to play, and the automatic timings a ground truth to be
measured against: the schedule has full-frame slides, slides shown smaller in a corner over a
moving "speaker" picture (as lecture recorders do), a skipped slide and a return to an earlier
one. Everything is synthetic and labelled as demo content on the title slide.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from matcloud.learn.media import MediaError, render_pdf
from matcloud.learn.pdfwrite import PdfItem, Rect, Text, write_pdf
from matcloud.learn.timing import Timing

WIDTH, HEIGHT, FPS = 640, 360, 10
MAKE_TIMEOUT = 120.0

#: Each slide's title and body text, slides separated by a blank line.
TEXT = """
Band structures in 60 seconds
DEMO lecture: synthetic content made by matcloud for trying LEARN.
Electrons in crystals, from Bloch's theorem to band gaps
and phonons, in eight slides.

Bloch's theorem
In a periodic potential the eigenstates are modulated plane waves:
psi_nk(r) = exp(i k.r) u_nk(r), with u_nk(r + R) = u_nk(r).
k is the crystal momentum, n the band index.

The Brillouin zone
k and k + G describe the same state for any reciprocal lattice vector G,
so k is taken in the first Brillouin zone:
the Wigner-Seitz cell of the reciprocal lattice.

High-symmetry paths
Bands E_n(k) are drawn along lines joining high-symmetry points,
e.g. Gamma-X-W-K-Gamma-L in the face-centred cubic zone
(the SeeK-path and Setyawan-Curtarolo conventions).

Band gaps
The gap separates the highest occupied and lowest empty bands.
Direct gap: both extrema at the same k (GaAs, 1.4 eV).
Indirect gap: at different k (Si, 1.1 eV).

Density functional theory
Kohn-Sham DFT gives bands of an effective one-electron problem.
LDA and GGA underestimate gaps (Si: about 0.6 eV with PBE);
hybrid functionals or GW correct much of the error.

Phonons
Lattice vibrations have bands too: omega_s(q) in the same zone.
N atoms per cell give 3 acoustic and 3N - 3 optical branches.
Imaginary frequencies signal a dynamical instability.

Summary
Bloch states give bands E_n(k) over the Brillouin zone.
Plot them along high-symmetry paths; read gaps and masses.
EXPLORE and DISCOVER draw bands and phonons of published records.
"""
SLIDES = [block.strip().splitlines() for block in TEXT.strip().split("\n\n")]
HEADERS = [
    (0.05, 0.15, 0.40),
    (0.60, 0.10, 0.10),
    (0.10, 0.45, 0.20),
    (0.85, 0.55, 0.05),
    (0.40, 0.10, 0.50),
    (0.00, 0.40, 0.45),
    (0.55, 0.30, 0.15),
    (0.20, 0.20, 0.20),
]

#: A segment of a video: (slide, placement, fraction, seconds); see ``slides_video``.
Segment = tuple[int, str, float, float]
#: The demo video: slide 4 is skipped; slide 3 comes back after slide 5; slides 2, 3 (the
#: second time) and 6 are shown at 62-66 % in a corner over the speaker.
SCHEDULE: list[Segment] = [
    (0, "full", 1.0, 6.0),
    (1, "full", 1.0, 7.3),
    (2, "tl", 0.62, 8.2),
    (3, "full", 1.0, 5.5),
    (5, "full", 1.0, 6.7),
    (3, "br", 0.66, 4.6),
    (6, "br", 0.66, 7.9),
    (7, "full", 1.0, 11.4),
]
MARGIN = 16


@dataclass(frozen=True)
class DemoLecture:
    pdf: Path
    video: Path
    truth: list[Timing]  # when each slide truly appears in the video
    titles: list[str]  # the slides' titles (first line of each page)


RGB = tuple[float, float, float]


def _curve(x0: float, x1: float, f: Callable[[float], float], rgb: RGB) -> list[PdfItem]:
    """Dots along ``y = f(t)`` for x from x0 to x1 (t from 0 to 1)."""
    steps = int((x1 - x0) / 6)
    return [
        Rect(x0 + (x1 - x0) * i / steps - 3, f(i / steps) - 3, 6, 6, rgb) for i in range(steps + 1)
    ]


def _sine(base: float, amplitude: float, k: float, phase: float) -> Callable[[float], float]:
    return lambda t: base + amplitude * math.sin(k * t + phase)


def _figure(index: int) -> list[PdfItem]:
    """Each slide's own drawing, in the lower part of the page, so that pages differ at a glance."""
    blue, red, grey = (0.1, 0.3, 0.8), (0.8, 0.2, 0.1), (0.3, 0.3, 0.3)
    items: list[PdfItem] = []
    if index == 0:  # a row of rising blocks
        for i in range(8):
            items.append(Rect(40 + 110 * i, 60, 90, 40 + 25 * i, (0.1 * i, 0.3, 0.9 - 0.1 * i)))
        items.append(Rect(40, 40, 880, 8, (0.05, 0.15, 0.40)))
    elif index == 1:  # a modulated plane wave
        items.append(Rect(60, 128, 840, 4, grey))
        items += _curve(60, 900, lambda t: 130 + 70 * math.cos(40 * t) * math.cos(3 * t), blue)
    elif index == 2:  # a hexagonal zone, and a real-space cell
        for row in range(9):
            half = 4 - abs(row - 4)
            items.append(Rect(540 - 40 * half, 40 + 22 * row, 120 + 80 * half, 18, (0.2, 0.6, 0.3)))
        items.append(Rect(80, 60, 200, 160, (0.9, 0.8, 0.3)))
    elif index == 3:  # bands along a path with its labels
        for i, label in enumerate(["Gamma", "X", "W", "K", "L"]):
            items.append(Rect(60 + 210 * i, 60, 6, 170, grey))
            items.append(Text(50 + 210 * i, 36, 16, label, rgb=grey))
        for band in range(3):
            items += _curve(60, 900, _sine(90 + 45 * band, 25, 7, band), red)
    elif index == 4:  # valence and conduction bands around a gap
        items.append(Rect(60, 112, 840, 40, (0.95, 0.8, 0.95)))
        items += _curve(60, 900, lambda t: 100 - 200 * (t - 0.5) ** 2, blue)
        items += _curve(60, 900, lambda t: 170 + 160 * (t - 0.3) ** 2, red)
    elif index == 5:  # gaps: experiment and PBE
        bars = [(90, 60), (150, 110), (55, 30), (140, 120), (200, 150), (120, 95)]
        for i, (exp, pbe) in enumerate(bars):
            items.append(Rect(80 + 140 * i, 40, 50, exp, (0.0, 0.4, 0.45)))
            items.append(Rect(135 + 140 * i, 40, 50, pbe, (0.9, 0.6, 0.1)))
    elif index == 6:  # acoustic branches and an optical one
        for branch in range(3):
            items += _curve(60, 900, _sine(40, 60 + 30 * branch, math.pi, 0), blue)
        items += _curve(60, 900, _sine(200, 15, 2 * math.pi, math.pi / 2), red)
    else:  # tiles
        for i in range(10):
            colour = (0.2 + 0.08 * i, 0.5, 0.9 - 0.08 * i)
            items.append(Rect(80 + 170 * (i % 5), 50 + 95 * (i // 5), 140, 75, colour))
    return items


def demo_slides_pdf() -> bytes:
    """The demo lecture's 8 slides (960 x 540 pt): a bold title, body text, a drawing."""
    pages: list[list[PdfItem]] = []
    for index, (title, *body) in enumerate(SLIDES):
        items: list[PdfItem] = [
            Rect(0, 440, 960, 100, HEADERS[index]),
            Text(40, 475, 44, title, bold=True, rgb=(1.0, 1.0, 1.0)),
        ]
        items += [
            Text(40, 390 - 38 * i, 24, line, rgb=(0.1, 0.1, 0.1)) for i, line in enumerate(body)
        ]
        items += _figure(index)
        footer = f"matcloud LEARN demo  {index + 1}/{len(SLIDES)}"
        items.append(Text(760, 12, 12, footer, rgb=(0.4, 0.4, 0.4)))
        pages.append(items)
    return write_pdf(pages)


H264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "21", "-g", "50", "-pix_fmt", "yuv420p"]


def _box(placement: str, fraction: float, aspect: float) -> tuple[int, int, int, int]:
    """(x, y, w, h) of a slide of ``aspect`` in the frame, even sizes for yuv420p: fitted to
    the frame ("full"), or ``fraction`` of that placed by two letters: top, middle or bottom
    ("t", "m", "b"), then left, centre or right ("l", "c", "r")."""
    fit_w = min(WIDTH, round(HEIGHT * aspect))
    scale = 1.0 if placement in ("full", "cam") else fraction
    w = 2 * round(fit_w * scale / 2)
    h = min(HEIGHT, 2 * round(w / aspect / 2))
    if placement in ("full", "cam"):
        return (WIDTH - w) // 2, (HEIGHT - h) // 2, w, h
    x = {"l": MARGIN, "c": (WIDTH - w) // 2, "r": WIDTH - w - MARGIN}[placement[1]]
    y = {"t": MARGIN, "m": (HEIGHT - h) // 2, "b": HEIGHT - h - MARGIN}[placement[0]]
    return x, y, w, h


def _speaker(frames: int, seed: int) -> str:
    """A moving background standing in for the speaker: a test pattern, a swaying figure, noise."""
    return (
        f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS},trim=end_frame={frames},hue=s=0.4,"
        f"drawbox=x='260+60*sin(t*1.3+{seed})':y=90:w=130:h=270:color=0x6a4a3a:t=fill,"
        f"drawbox=x='290+60*sin(t*1.3+{seed})':y=30:w=70:h=70:color=0xd0a080:t=fill,"
        f"noise=alls=10:allf=t+u:all_seed={seed + 1}"
    )


def _graph(
    slides: list[Path], aspect: float, schedule: list[Segment]
) -> tuple[list[str], str, list[Timing], float]:
    """ffmpeg's inputs and filter graph for ``schedule``, the truth and the total length."""
    inputs: list[str] = []
    graph: list[str] = []
    truth: list[Timing] = []
    frames_done = 0
    for k, (slide, placement, fraction, seconds) in enumerate(schedule):
        frames = round(seconds * FPS)
        if placement != "speaker" and (not truth or truth[-1].slide != slide):
            truth.append(Timing(frames_done / FPS, slide))
        frames_done += frames
        image = str(slides[max(0, slide)].absolute())
        inputs += ["-f", "image2", "-pattern_type", "none", "-framerate", str(FPS), "-loop", "1"]
        inputs += ["-i", image]
        if placement == "speaker":
            graph.append(f"{_speaker(frames, k)},format=yuv420p[v{k}]")
            continue
        x, y, w, h = _box(placement, fraction, aspect)
        picture = f"[{k}:v]scale={w}:{h},setsar=1,trim=end_frame={frames},setpts=PTS-STARTPTS"
        if placement in ("full", "cam"):
            picture += f",pad={WIDTH}:{HEIGHT}:{x}:{y}:black"
        if placement == "full":
            graph.append(f"{picture},format=yuv420p[v{k}]")
        elif placement == "cam":  # the speaker's camera in a quarter-width inset
            graph.append(f"{picture}[s{k}]")
            graph.append(f"{_speaker(frames, k)},scale={WIDTH // 4}:{HEIGHT // 4}[b{k}]")
            inset = f"x={WIDTH - WIDTH // 4 - MARGIN}:y={HEIGHT - HEIGHT // 4 - MARGIN}"
            graph.append(f"[s{k}][b{k}]overlay={inset}:eof_action=endall,format=yuv420p[v{k}]")
        else:
            graph.append(f"{picture}[s{k}]")
            graph.append(f"{_speaker(frames, k)}[b{k}]")
            graph.append(f"[b{k}][s{k}]overlay=x={x}:y={y}:eof_action=endall,format=yuv420p[v{k}]")
    joined = "".join(f"[v{k}]" for k in range(len(schedule)))
    graph.append(f"{joined}concat=n={len(schedule)}:v=1:a=0[out]")
    return inputs, ";".join(graph), truth, frames_done / FPS


def slides_video(
    slides: list[Path],
    schedule: list[Segment],
    video: Path,
    *,
    codec: list[str] | None = None,
    container: str = "mp4",
) -> list[Timing]:
    """Make ``video`` (640x360, 10 fps, silent audio) from the slides' PNG images following
    ``schedule``, segments of (slide, placement, fraction, seconds). Placements: "full" (the
    slide fitted to the frame), "cam" (that with the speaker's camera in an inset), two letters
    ("tl", "mr", "bc"...: the slide at ``fraction`` of its full size, top/middle/bottom and
    left/centre/right, over the moving speaker) or "speaker" (no slide). Also for tests of the
    timings. Returns when each slide appears (a "speaker" segment keeps the slide before it)."""
    first = slides[0].read_bytes()[16:24]  # a PNG's IHDR: width, height
    aspect = int.from_bytes(first[:4], "big") / int.from_bytes(first[4:], "big")
    inputs, graph, truth, total = _graph(slides, aspect, schedule)
    audio = ["-c:a", "aac", "-b:a", "32k"] if container == "mp4" else ["-c:a", "libopus"]
    args = ["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs]
    args += ["-f", "lavfi", "-t", f"{total:.1f}", "-i", "anullsrc=r=48000:cl=mono"]
    args += ["-filter_complex", graph, "-map", "[out]", "-map", f"{len(schedule)}:a"]
    args += [*(codec or H264), "-r", str(FPS), *audio]
    args += ["-movflags", "+faststart"] if container == "mp4" else []
    args += ["-f", container, str(video)]
    try:
        done = subprocess.run(args, capture_output=True, timeout=MAKE_TIMEOUT, check=False)
    except FileNotFoundError:
        raise MediaError("ffmpeg is not installed: install Debian's ffmpeg") from None
    except subprocess.TimeoutExpired:
        raise MediaError(f"ffmpeg took over {MAKE_TIMEOUT:.0f} s to make the video") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()[-500:]
        raise MediaError(f"ffmpeg could not make the video: {message}")
    return truth


def make_demo_lecture(outdir: Path) -> DemoLecture:
    """Write ``outdir/demo-lecture.pdf`` and ``outdir/demo-lecture.mp4`` (H.264 640x360 at 10 fps
    with a silent AAC track, about a minute) and say when each slide appears. Both files appear
    together at the end or not at all."""
    for tool, package in (("ffmpeg", "ffmpeg"), ("pdftoppm", "poppler-utils")):
        if shutil.which(tool) is None:
            raise MediaError(f"{tool} is not installed: install Debian's {package}")
    outdir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".demo-lecture-", dir=outdir))
    try:
        pdf = work / "demo-lecture.pdf"
        pdf.write_bytes(demo_slides_pdf())
        video = work / "demo-lecture.mp4"
        truth = slides_video(render_pdf(pdf, work / "slides", width=WIDTH), SCHEDULE, video)
        final_pdf, final_video = outdir / "demo-lecture.pdf", outdir / "demo-lecture.mp4"
        os.replace(pdf, final_pdf)
        os.replace(video, final_video)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return DemoLecture(final_pdf, final_video, truth, [slide[0] for slide in SLIDES])


__all__ = [
    "SCHEDULE",
    "DemoLecture",
    "Segment",
    "demo_slides_pdf",
    "make_demo_lecture",
    "slides_video",
]
