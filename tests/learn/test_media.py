"""LEARN's media wrappers: videos probed and refused, frames decoded, PDFs counted, drawn and
read, and the little PDF writer checked by poppler itself."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from matcloud.learn.demo_media import DemoLecture, demo_slides_pdf, make_demo_lecture
from matcloud.learn.media import (
    MediaError,
    frames_between,
    pdf_page_count,
    pdf_texts,
    probe_video,
    read_pgm,
    render_pdf,
    sample_frames,
    slide_title,
)
from matcloud.learn.pdfwrite import Rect, Text, write_pdf

TOOLS = ("ffmpeg", "ffprobe", "pdftoppm", "pdfinfo", "pdftotext")
needs_tools = pytest.mark.skipif(
    not all(shutil.which(t) for t in TOOLS), reason="needs Debian's ffmpeg and poppler-utils"
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoLecture:
    if not all(shutil.which(t) for t in TOOLS):
        pytest.skip("needs Debian's ffmpeg and poppler-utils")
    return make_demo_lecture(tmp_path_factory.mktemp("demo"))


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True, timeout=60)


def _tiny(path: Path, *codec: str) -> Path:
    """A one-second test pattern coded with ``codec``."""
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x90:rate=10:duration=1", *codec, str(path))
    return path


# -- videos ---------------------------------------------------------------------------------


@needs_tools
def test_the_demo_video_is_probed(demo: DemoLecture) -> None:
    info = probe_video(demo.video)
    assert (info.codec, info.container, info.width, info.height) == ("h264", "mp4", 640, 360)
    assert info.duration == pytest.approx(57.6, abs=0.2)
    assert info.duration > demo.truth[-1].start + 3
    assert info.has_audio


@needs_tools
def test_the_demo_is_written_whole_and_nothing_else(demo: DemoLecture) -> None:
    assert sorted(p.name for p in demo.video.parent.iterdir()) == [
        "demo-lecture.mp4",
        "demo-lecture.pdf",
    ]


@needs_tools
def test_random_bytes_and_text_are_not_videos(tmp_path: Path) -> None:
    noise = tmp_path / "noise.mp4"
    noise.write_bytes(np.random.default_rng(1).integers(0, 256, 50_000, np.uint8).tobytes())
    text = tmp_path / "notes.mp4"
    text.write_text("These are my notes, not a video.\n" * 50)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    for path in (noise, text, empty):
        with pytest.raises(MediaError, match="accepted: MP4 with H.264") as refused:
            probe_video(path)
        assert "video" in str(refused.value)


@needs_tools
def test_a_video_cut_in_the_middle_is_refused(demo: DemoLecture, tmp_path: Path) -> None:
    data = demo.video.read_bytes()
    half = tmp_path / "half.mp4"
    half.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError, match="damaged or incomplete"):
        probe_video(half)


@needs_tools
def test_webm_with_vp9_is_accepted(tmp_path: Path) -> None:
    path = _tiny(tmp_path / "a.webm", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-b:v", "100k")
    info = probe_video(path)
    assert (info.container, info.codec, info.has_audio) == ("webm", "vp9", False)
    assert info.duration == pytest.approx(1.0, abs=0.15)


@needs_tools
def test_a_webm_that_does_not_say_its_length_is_refused_with_the_fix(tmp_path: Path) -> None:
    live = tmp_path / "live.webm"
    with open(live, "wb") as out:  # written to a pipe, as a browser records: no duration
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi"]
            + ["-i", "testsrc2=size=160x90:rate=10:duration=1", "-c:v", "libvpx-vp9"]
            + ["-deadline", "realtime", "-f", "webm", "-"],
            stdout=out,
            check=True,
            timeout=60,
        )
    with pytest.raises(MediaError, match="does not say how long the video is.*remux it"):
        probe_video(live)


@needs_tools
def test_codecs_and_containers_outside_the_list_are_refused(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="coded in MPEG-4 part 2 in MP4; accepted: MP4 with H.264"):
        probe_video(_tiny(tmp_path / "a.mp4", "-c:v", "mpeg4"))
    with pytest.raises(MediaError, match="Matroska"):
        probe_video(_tiny(tmp_path / "a.mkv", "-c:v", "libvpx-vp9", "-deadline", "realtime"))
    with pytest.raises(MediaError, match="QuickTime"):
        probe_video(_tiny(tmp_path / "a.mov", "-c:v", "libx264"))
    # ffmpeg will not put H.264 in WebM: a Matroska file whose DocType is made to say "webm".
    data = _tiny(tmp_path / "h.mkv", "-c:v", "libx264").read_bytes()
    doctype = b"\x42\x82\x88matroska"
    assert doctype in data
    webm = tmp_path / "h.webm"
    webm.write_bytes(data.replace(doctype, b"\x42\x82\x88webm\x00\x00\x00\x00", 1))
    with pytest.raises(MediaError, match="coded in H.264 in WebM; accepted"):
        probe_video(webm)


@needs_tools
def test_frames_are_sampled_in_gray_at_the_rate_asked(demo: DemoLecture) -> None:
    frames, times = sample_frames(demo.video, fps=2.0, width=64, height=36)
    assert frames.dtype == np.uint8 and frames.shape[1:] == (36, 64)
    assert len(frames) == len(times) == pytest.approx(2 * 57.6, abs=2)
    assert times[:3].tolist() == [0.0, 0.5, 1.0]
    # The title slide: a dark header band over a white page.
    assert frames[0, :5].mean() < 100 < frames[0, 12:20].mean()


@needs_tools
def test_frames_between_two_times_come_with_their_own_times(demo: DemoLecture) -> None:
    frames, times = frames_between(demo.video, 5.0, 6.0, width=32, height=18)
    assert len(frames) == len(times) == 10
    assert times.tolist() == pytest.approx([5.0 + i / 10 for i in range(10)], abs=1e-3)


# -- PDFs -----------------------------------------------------------------------------------


@needs_tools
def test_the_demo_pdf_is_counted_drawn_and_read(demo: DemoLecture, tmp_path: Path) -> None:
    assert pdf_page_count(demo.pdf) == 8
    pngs = render_pdf(demo.pdf, tmp_path / "png", width=200)
    assert [p.name for p in pngs] == [f"page-{i}.png" for i in range(1, 9)]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    pgms = render_pdf(demo.pdf, tmp_path / "pgm", width=160, fmt="pgm")
    images = [read_pgm(p) for p in pgms]
    assert all(i.shape == (90, 160) and i.dtype == np.uint8 for i in images)
    texts = pdf_texts(demo.pdf)
    assert len(texts) == 8
    assert [slide_title(t) for t in texts] == demo.titles
    assert demo.titles[0] == "Band structures in 60 seconds"
    assert "DEMO" in texts[0] and "Bloch" in texts[1]


@needs_tools
def test_more_than_nine_pages_keep_their_order(tmp_path: Path) -> None:
    pages = [
        [Rect(0, 0, 20 * (i + 1), 100, (0, 0, 0)), Text(10, 150, 20, f"Page {i + 1}")]
        for i in range(12)
    ]
    pdf = tmp_path / "twelve.pdf"
    pdf.write_bytes(write_pdf(pages, width=300, height=200))
    paths = render_pdf(pdf, tmp_path / "out", width=150, fmt="pgm")
    assert [p.name for p in paths] == [f"page-{i:02d}.pgm" for i in range(1, 13)]
    dark = [int((read_pgm(p) < 128).sum()) for p in paths]
    assert dark == sorted(dark) and len(set(dark)) == 12
    assert [slide_title(t) for t in pdf_texts(pdf)] == [f"Page {i}" for i in range(1, 13)]


@needs_tools
def test_damaged_pdfs_are_refused(demo: DemoLecture, tmp_path: Path) -> None:
    data = demo.pdf.read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: len(data) // 2])
    noise = tmp_path / "noise.pdf"
    noise.write_bytes(np.random.default_rng(2).integers(0, 256, 20_000, np.uint8).tobytes())
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    for path in (cut, noise, empty):
        with pytest.raises(MediaError, match="not a readable PDF"):
            pdf_page_count(path)
        with pytest.raises(MediaError, match="not a readable PDF"):
            render_pdf(path, tmp_path / "out", width=100)
        with pytest.raises(MediaError):
            pdf_texts(path)


_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def _encrypted_pdf(user: bytes, owner: bytes) -> bytes:
    """An empty page under the standard 40-bit security handler (revision 2), the passwords'
    checks computed as the PDF reference says (no text or stream to encrypt)."""
    o = _rc4(hashlib.md5((owner + _PAD)[:32]).digest()[:5], (user + _PAD)[:32])
    ident, permissions = b"0123456789abcdef", -4
    key = hashlib.md5(
        (user + _PAD)[:32] + o + permissions.to_bytes(4, "little", signed=True) + ident
    ).digest()[:5]
    encrypt = (
        f"/Encrypt << /Filter /Standard /V 1 /R 2 /O <{o.hex()}> /U <{_rc4(key, _PAD).hex()}> "
        f"/P {permissions} >> /ID [<{ident.hex()}> <{ident.hex()}>] >>"
    )
    return write_pdf([[]]).replace(b"/Root 1 0 R >>", b"/Root 1 0 R " + encrypt.encode(), 1)


@needs_tools
def test_encrypted_pdfs_are_refused(tmp_path: Path) -> None:
    pdf = tmp_path / "e.pdf"
    pdf.write_bytes(_encrypted_pdf(b"", b""))  # opens, but copying may be restricted
    with pytest.raises(MediaError, match="the PDF is encrypted"):
        pdf_page_count(pdf)
    pdf.write_bytes(_encrypted_pdf(b"secret", b"owner"))
    with pytest.raises(MediaError, match="password-protected"):
        pdf_page_count(pdf)


@needs_tools
def test_too_many_pages_are_refused(tmp_path: Path) -> None:
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(write_pdf([[]] * 501, width=100, height=100))
    with pytest.raises(MediaError, match="501 pages; accepted: at most 500"):
        pdf_page_count(pdf)


@needs_tools
def test_write_pdf_is_read_by_poppler_without_a_warning(tmp_path: Path) -> None:
    pdf = tmp_path / "w.pdf"
    pdf.write_bytes(
        write_pdf(
            [
                [
                    Rect(0, 200, 400, 100, (0.2, 0.4, 0.6)),
                    Text(20, 250, 30, "A (bracketed) back\\slash", bold=True, rgb=(1, 1, 1)),
                    Text(20, 100, 16, "Caf\u00e9 \u2014 50 \u00b0C"),
                ],
                [Text(20, 100, 16, "Second page")],
            ],
            width=400,
            height=300,
        )
    )
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, timeout=30, check=True)
    assert info.stderr == b""
    assert b"Pages:           2" in info.stdout and b"400 x 300 pts" in info.stdout
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, timeout=30, check=True
    )
    assert text.stderr == b""
    texts = pdf_texts(pdf)
    assert [slide_title(t) for t in texts] == ["A (bracketed) back\\slash", "Second page"]
    assert texts[0].splitlines()[-1] == "Caf\u00e9 \u2014 50 \u00b0C"  # WinAnsi: é, —, °
    image = read_pgm(render_pdf(pdf, tmp_path / "img", width=200, fmt="pgm")[0])
    assert image.shape == (150, 200)
    assert image[5:45].mean() < 120 < image[60:].mean()  # the band drawn over white


def test_write_pdf_is_deterministic_with_correct_offsets() -> None:
    data = demo_slides_pdf()
    assert data == demo_slides_pdf()
    assert data.startswith(b"%PDF-1.4") and data.endswith(b"%%EOF\n")
    xref = int(data.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert data[xref:].startswith(b"xref\n")
    rows = data[xref:].split(b"\n")[3:]
    for number, row in enumerate(rows[: int(data[xref:].split(b"\n")[1].split()[1]) - 1], 1):
        offset = int(row[:10])
        assert data[offset:].startswith(f"{number} 0 obj".encode())


def test_slide_title() -> None:
    assert slide_title("\n   \n  Band   gaps\t in Si  \nbody") == "Band gaps in Si"
    assert slide_title("") == "" and slide_title(" \n\f\n") == ""
    assert slide_title("x" * 300) == "x" * 120


def test_read_pgm(tmp_path: Path) -> None:
    path = tmp_path / "a.pgm"
    path.write_bytes(b"P5\n# a comment\n3 2\n255\n" + bytes(range(6)))
    assert read_pgm(path).tolist() == [[0, 1, 2], [3, 4, 5]]
    path.write_bytes(b"P6\n3 2\n255\n" + bytes(18))
    with pytest.raises(MediaError, match="not a binary PGM"):
        read_pgm(path)
    path.write_bytes(b"P5\n3 2\n255\n" + bytes(4))
    with pytest.raises(MediaError, match="8-bit PGM image of 3x2"):
        read_pgm(path)


def test_missing_tools_say_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(write_pdf([[]]))
    with pytest.raises(MediaError, match="install Debian's poppler-utils"):
        pdf_page_count(pdf)
    with pytest.raises(MediaError, match="install Debian's ffmpeg"):
        probe_video(pdf)
    with pytest.raises(MediaError, match="install Debian's ffmpeg"):
        sample_frames(pdf, fps=1, width=8, height=8)
    with pytest.raises(MediaError, match="install Debian's ffmpeg"):
        make_demo_lecture(tmp_path / "demo")
    assert not (tmp_path / "demo").exists()
