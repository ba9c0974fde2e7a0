"""LEARN's slide timings: found in the demo lecture's video against its known schedule, the
choice of the sequence on synthetic scores, and the timings CSV with each of its refusals."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from matcloud.learn.demo_media import SCHEDULE, DemoLecture, make_demo_lecture, slides_video
from matcloud.learn.media import MediaError, read_pgm, render_pdf
from matcloud.learn.timing import Timing, auto_timings, parse_timings_csv, smooth_sequence

needs_tools = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("ffmpeg", "ffprobe", "pdftoppm", "pdfinfo")),
    reason="needs Debian's ffmpeg and poppler-utils",
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoLecture:
    if not all(shutil.which(t) for t in ("ffmpeg", "ffprobe", "pdftoppm", "pdfinfo")):
        pytest.skip("needs Debian's ffmpeg and poppler-utils")
    return make_demo_lecture(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def slides(demo: DemoLecture, tmp_path_factory: pytest.TempPathFactory) -> list[np.ndarray]:
    pages = render_pdf(demo.pdf, tmp_path_factory.mktemp("match"), width=320, fmt="pgm")
    return [read_pgm(p) for p in pages]


@pytest.fixture(scope="module")
def found(demo: DemoLecture, slides: list[np.ndarray]) -> tuple[list[Timing], float]:
    began = time.perf_counter()
    timings = auto_timings(demo.video, slides)
    return timings, time.perf_counter() - began


def _max_error(found: list[Timing], truth: list[Timing]) -> float:
    return max(abs(f.start - t.start) for f, t in zip(found, truth, strict=True))


# -- the demo lecture -------------------------------------------------------------------------


@needs_tools
def test_the_demo_schedule_has_what_the_timings_must_cope_with(demo: DemoLecture) -> None:
    shown = [t.slide for t in demo.truth]
    assert 4 not in shown  # skipped
    assert shown[3:6] == [3, 5, 3]  # back to slide 3 after slide 5
    assert sum(1 for _, place, _, _ in SCHEDULE if place != "full") >= 2
    assert all(3 <= seconds <= 12 for *_, seconds in SCHEDULE)
    assert demo.truth[0].start == 0.0


@needs_tools
def test_auto_timings_recover_the_sequence_of_slides(
    demo: DemoLecture, found: tuple[list[Timing], float]
) -> None:
    timings, seconds = found
    print(f"auto_timings on the demo: {seconds:.2f} s")
    assert [t.slide for t in timings] == [t.slide for t in demo.truth]
    assert timings[0].start == 0.0


@needs_tools
def test_auto_timings_place_each_change_within_a_second(
    demo: DemoLecture, found: tuple[list[Timing], float]
) -> None:
    timings, _ = found
    assert len(timings) == len(demo.truth)
    error = _max_error(timings, demo.truth)
    print(f"largest error on a change of slide: {error:.3f} s")
    assert error < 1.0
    # Placed on the frame (0.1 s apart), not at the nearest sample (0.5 s apart, up to 0.2 s off).
    assert error <= 0.15


@needs_tools
def test_a_skipped_slide_is_absent_and_going_back_is_found(
    found: tuple[list[Timing], float],
) -> None:
    timings, _ = found
    slides = [t.slide for t in timings]
    assert 4 not in slides
    assert slides.count(3) == 2
    back = [i for i, s in enumerate(slides) if s == 3][1]
    assert slides[back - 1] == 5
    assert timings[back].start == pytest.approx(33.7, abs=1.0)


@needs_tools
def test_slides_shown_in_a_corner_over_the_speaker_are_found(
    demo: DemoLecture, found: tuple[list[Timing], float]
) -> None:
    timings, _ = found
    start = 0.0
    corners = []
    for slide, place, _, seconds in SCHEDULE:
        if place != "full":
            corners.append((start, slide))
        start = round(start + seconds, 1)
    assert len(corners) >= 2
    for at, slide in corners:
        shown = [t for t in timings if t.start <= at + 0.5][-1]
        assert shown.slide == slide, (at, slide, timings)


@needs_tools
def test_auto_timings_are_quick(found: tuple[list[Timing], float]) -> None:
    _, seconds = found
    assert seconds < 15.0


@needs_tools
def test_a_slide_flashing_by_and_a_speaker_only_gap(
    demo: DemoLecture, slides: list[np.ndarray], tmp_path: Path
) -> None:
    images = render_pdf(demo.pdf, tmp_path / "png", width=640)
    schedule = [
        (0, "full", 1.0, 4.3),
        (6, "full", 1.0, 0.3),  # slide 6 flashes by: 3 frames, of which one sample (at 4.5 s)
        (0, "full", 1.0, 2.8),
        (1, "tr", 0.6, 4.2),
        (1, "speaker", 0.0, 3.0),  # the speaker alone: slide 1 goes on
        (2, "full", 1.0, 4.0),
    ]
    slides_video(images, schedule, tmp_path / "v.mp4")
    timings = auto_timings(tmp_path / "v.mp4", slides)
    assert [t.slide for t in timings] == [0, 1, 2]
    assert timings[1].start == pytest.approx(7.4, abs=0.15)
    assert timings[2].start == pytest.approx(14.6, abs=0.15)  # when slide 2 is seen, not before


@needs_tools
def test_a_video_showing_none_of_the_slides_is_refused(
    demo: DemoLecture, slides: list[np.ndarray], tmp_path: Path
) -> None:
    images = render_pdf(demo.pdf, tmp_path / "png", width=640)
    slides_video(images, [(0, "speaker", 0.0, 4.0)], tmp_path / "v.mp4")
    with pytest.raises(MediaError, match="none of the PDF's pages"):
        auto_timings(tmp_path / "v.mp4", slides)


# -- choosing the sequence ------------------------------------------------------------------


def _scores(labels: list[int], pages: int = 4, seed: int = 0) -> np.ndarray:
    """Scores of frames each showing ``labels[i]`` (-1: none), with noise."""
    rng = np.random.default_rng(seed)
    scores = rng.uniform(0.0, 0.3, (len(labels), pages))
    for i, label in enumerate(labels):
        if label >= 0:
            scores[i, label] = rng.uniform(0.8, 0.95)
    return scores


def test_a_single_odd_frame_does_not_make_a_segment() -> None:
    labels = [0] * 10 + [2] + [0] * 10 + [1] * 10
    assert smooth_sequence(_scores(labels)).tolist() == [0] * 21 + [1] * 10


def test_a_single_odd_frame_at_a_change_goes_to_a_neighbour() -> None:
    labels = [0] * 10 + [3] + [1] * 10
    path = smooth_sequence(_scores(labels)).tolist()
    assert 3 not in path and path[:10] == [0] * 10 and path[11:] == [1] * 10


def test_going_back_and_skipping_are_kept() -> None:
    labels = [0] * 6 + [2] * 6 + [0] * 6 + [3] * 6
    assert smooth_sequence(_scores(labels)).tolist() == labels


def test_frames_showing_no_slide_keep_the_slide_before() -> None:
    labels = [-1] * 3 + [1] * 5 + [-1] * 6 + [2] * 5
    path = smooth_sequence(_scores(labels)).tolist()
    assert path == [1] * 14 + [2] * 5


def test_no_slide_at_all_gives_minus_one() -> None:
    assert smooth_sequence(_scores([-1] * 5)).tolist() == [-1] * 5


# -- the CSV ---------------------------------------------------------------------------------


def test_csv_in_seconds_minutes_and_hours() -> None:
    text = "slide,start\n1,0\n3,12.5\n2,01:02.25\n5,1:00:00.5\n"
    assert parse_timings_csv(text, pages=5, duration=4000.0) == [
        Timing(0.0, 0),
        Timing(12.5, 2),
        Timing(62.25, 1),
        Timing(3600.5, 4),
    ]


def test_csv_columns_by_name_with_a_bom_blank_lines_and_extra_columns() -> None:
    text = "\ufeffStart, Slide ,note\n\n0:00,2,intro\n0:30,1,\n"
    assert parse_timings_csv(text, pages=3, duration=60.0) == [Timing(0.0, 1), Timing(30.0, 0)]


def test_csv_with_semicolons_or_tabs_and_quotes() -> None:
    for text in ("slide;start\n1;0\n2;1:05\n", 'slide\tstart\n"1"\t0\n2\t"65"\n'):
        assert parse_timings_csv(text, pages=2, duration=70.0) == [Timing(0, 0), Timing(65, 1)]


def test_csv_first_slide_starts_at_zero() -> None:
    assert parse_timings_csv("slide,start\n2,5\n3,9\n", pages=3, duration=20.0) == [
        Timing(0.0, 1),
        Timing(9.0, 2),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the timings file is empty"),
        ("\n \n", "the timings file is empty"),
        ("page,time\n1,0\n", "line 1: the header must name the columns slide and start"),
        ("slide,start\n", "has no rows after its header"),
        ("slide,start\n1,0\n12,5\n", r"line 3: slide 12 does not exist \(the PDF has 9 pages\)"),
        ("slide,start\n0,0\n", "line 2: slide 0 does not exist"),
        ("slide,start\none,0\n", "line 2: slide 'one' is not a page number"),
        ("slide,start\n1,soon\n", r"line 2: start 'soon' is not a time"),
        ("slide,start\n1,1:75\n", r"line 2: start '1:75' is not a time"),
        ("slide,start\n1,-3\n", r"line 2: start '-3' is not a time"),
        ("slide,start\n1,0\n2,1:70:00\n", "line 3: start '1:70:00' is not a time"),
        ("slide,start\n1,0\n2,\n", "line 3: start '' is not a time"),
        ("slide,start\n1,0\n2,2:00\n", r"line 3: start 2:00 is at or beyond the end"),
        ("slide,start\n1,0\n2,20\n3,20\n", r"line 4: start 20 is not after the previous"),
        ("slide,start\n1,0\n2,20\n3,10\n", r"line 4: start 10 is not after the previous"),
        ("slide,start\n1,0\n2\n", "line 3: expected a slide and a start"),
        ("slide,start\n1,0\n\n\n2,\u0661\n", "line 5: start '\u0661' is not a time"),
        ("slide,start\n\u00b2,0\n", "line 2: slide '\u00b2' is not a page number"),
        ("slide,start\n1,1e3\n", "line 2: start '1e3' is not a time"),
    ],
)
def test_csv_refusals_name_the_line(text: str, message: str) -> None:
    with pytest.raises(MediaError, match=message):
        parse_timings_csv(text, pages=9, duration=100.0)
