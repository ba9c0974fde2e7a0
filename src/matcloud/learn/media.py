"""The video and PDF tools LEARN relies on: Debian's ffmpeg/ffprobe and poppler-utils, wrapped.

Uploaded files are untrusted, so every program runs without a shell, with a time limit, on an
absolute ``file:`` path (a name cannot pass for an option or a protocol), and a file that cannot be
used raises :class:`MediaError` with a message for the uploader: what is wrong, what is accepted.
Images are read as netpbm (PGM) and videos as raw gray frames, so that nothing but numpy is needed
to look at them.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: What an uploaded video may be (said in every refusal).
ACCEPTED_VIDEO = "accepted: MP4 with H.264 video, or WebM with VP8, VP9 or AV1 video"
CODECS = {"mp4": ("h264",), "webm": ("vp8", "vp9", "av1")}
_CODEC_NAMES = {"h264": "H.264", "hevc": "H.265", "mpeg4": "MPEG-4 part 2", "vp8": "VP8"}
MAX_DURATION = 6 * 3600.0
MAX_PAGES = 500
PROBE_TIMEOUT = 60.0
PDF_TIMEOUT = 300.0
#: One pass over a 6-hour 1080p video takes well under this; it bounds a stuck decoder.
DECODE_TIMEOUT = 7200.0


class MediaError(ValueError):
    """Input that cannot be used, with a message fit to show the uploader (what is wrong, what is
    accepted)."""


@dataclass(frozen=True)
class VideoInfo:
    duration: float  # seconds
    width: int
    height: int
    codec: str  # "h264", "vp9", "vp8", "av1"
    container: str  # "mp4" or "webm"
    has_audio: bool


def _missing(tool: str) -> MediaError:
    package = "ffmpeg" if tool.startswith("ff") else "poppler-utils"
    return MediaError(f"{tool} is not installed on the server: install Debian's {package}")


def _first_line(stderr: bytes, *, last: bool = False) -> str:
    """The first (or last) message of a tool's stderr, without ffmpeg's ``[demuxer @ 0x...]``
    prefix."""
    lines = stderr.decode("utf-8", "replace").splitlines()
    for line in reversed(lines) if last else lines:
        line = re.sub(r"^(\[[^\]]*\]\s*)+", "", line.strip())
        if line:
            return line[:200]
    return ""


def _run(args: list[str], *, timeout: float) -> subprocess.CompletedProcess[bytes]:
    """``args`` run without a shell; a missing program or a timeout is a MediaError."""
    try:
        return subprocess.run(args, capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise _missing(args[0]) from None
    except subprocess.TimeoutExpired:
        raise MediaError(f"{args[0]} took over {timeout:.0f} s on this file: giving up") from None


def _url(path: Path) -> str:
    """The path as ffmpeg reads it: a ``file:`` URL, never an option or another protocol."""
    return "file:" + str(Path(path).absolute())


def _arg(path: Path) -> str:
    """The path as poppler reads it: absolute, so it cannot start with ``-``."""
    return str(Path(path).absolute())


# -- videos ---------------------------------------------------------------------------------


def _matroska_doctype(path: Path) -> str:
    """The EBML DocType of a Matroska file ("webm" or "matroska"): ffprobe names both alike."""
    with open(path, "rb") as f:
        head = f.read(256)
    at = head.find(b"\x42\x82")
    if at < 0 or at + 3 > len(head) or not head[at + 2] & 0x80:
        return ""
    size = head[at + 2] & 0x7F
    return head[at + 3 : at + 3 + size].rstrip(b"\x00").decode("ascii", "replace")


def _container(fmt: dict[str, Any], path: Path) -> str:
    names = str(fmt.get("format_name", "")).split(",")
    if "mp4" in names:
        brand = str((fmt.get("tags") or {}).get("major_brand", "")).strip()
        if brand == "qt":
            raise MediaError(f"this is a QuickTime (.mov) file; {ACCEPTED_VIDEO}")
        return "mp4"
    if "webm" in names:
        if _matroska_doctype(path) != "webm":
            raise MediaError(f"this is a Matroska (.mkv) file, not WebM; {ACCEPTED_VIDEO}")
        return "webm"
    name = fmt.get("format_long_name") or fmt.get("format_name") or "unknown"
    raise MediaError(f"the file is {name}; {ACCEPTED_VIDEO}")


def _check_end(path: Path) -> None:
    """Decode the last second: a file cut short (an upload stopped half-way) has headers that
    look complete but no frames there, or frames that fail to decode."""
    done = _run(
        ["ffmpeg", "-nostdin", "-v", "error", "-sseof", "-1", "-i", _url(path), "-map", "0:v:0"]
        + ["-vf", "scale=16:16,format=gray", "-f", "rawvideo", "-"],
        timeout=PROBE_TIMEOUT,
    )
    if done.returncode != 0 or done.stderr.strip() or len(done.stdout) < 256:
        detail = _first_line(done.stderr) or "no picture at its end"
        raise MediaError(
            f"the video is damaged or incomplete (was the upload cut short?): {detail}; "
            f"{ACCEPTED_VIDEO}"
        )


def probe_video(path: Path) -> VideoInfo:
    """What the video is, or MediaError if it cannot be played as uploaded (see ACCEPTED_VIDEO;
    at most 6 hours)."""
    if not Path(path).is_file() or Path(path).stat().st_size == 0:
        raise MediaError(f"the video file is empty or missing; {ACCEPTED_VIDEO}")
    done = _run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams"]
        + [_url(path)],
        timeout=PROBE_TIMEOUT,
    )
    if done.returncode != 0:
        detail = _first_line(done.stderr).replace(_url(path) + ": ", "") or "unreadable"
        raise MediaError(f"this is not a video that can be read ({detail}); {ACCEPTED_VIDEO}")
    try:
        found = json.loads(done.stdout)
    except ValueError:
        raise MediaError(f"this is not a video that can be read; {ACCEPTED_VIDEO}") from None
    fmt: dict[str, Any] = found.get("format") or {}
    streams: list[dict[str, Any]] = found.get("streams") or []
    videos = [
        s
        for s in streams
        if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    if not videos:
        raise MediaError(f"the file has no video stream; {ACCEPTED_VIDEO}")
    video = videos[0]
    container = _container(fmt, path)
    codec = str(video.get("codec_name", "unknown"))
    if codec not in CODECS[container]:
        name = _CODEC_NAMES.get(codec, codec.upper())
        kind = "MP4" if container == "mp4" else "WebM"
        raise MediaError(f"the video is coded in {name} in {kind}; {ACCEPTED_VIDEO}")
    try:
        duration = float(fmt.get("duration") or video.get("duration") or 0.0)
        width, height = int(video["width"]), int(video["height"])
    except (KeyError, TypeError, ValueError):
        raise MediaError(f"the video's length or size cannot be read; {ACCEPTED_VIDEO}") from None
    if duration <= 0.0:
        raise MediaError(
            "the file does not say how long the video is (as in WebM recorded by some browsers):"
            " remux it, e.g. ffmpeg -i in.webm -c copy out.webm"
        )
    if duration > MAX_DURATION:
        raise MediaError(f"the video lasts {duration / 3600:.1f} hours; accepted: at most 6 hours")
    if width <= 0 or height <= 0:
        raise MediaError(f"the video has no picture size; {ACCEPTED_VIDEO}")
    _check_end(path)
    has_audio = any(s.get("codec_type") == "audio" for s in streams)
    return VideoInfo(duration, width, height, codec, container, has_audio)


def _frames(args: list[str], size: int, *, timeout: float) -> tuple[np.ndarray, bytes]:
    """Run ffmpeg writing raw gray frames of ``size`` bytes to stdout, read as they come.
    Returns the frames (n, size) and ffmpeg's stderr; MediaError if ffmpeg fails or runs over
    ``timeout`` seconds. At most the frames and one read block are held at a time."""
    blocks: deque[bytes] = deque()
    expired = threading.Event()
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err
            )
        except FileNotFoundError:
            raise _missing(args[0]) from None

        def kill() -> None:
            expired.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            assert proc.stdout is not None
            with proc.stdout:
                while block := proc.stdout.read(1 << 20):
                    blocks.append(block)
            code = proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err.seek(0)
        stderr = err.read()
    if expired.is_set():
        raise MediaError(f"decoding the video took over {timeout:.0f} s: giving up")
    if code != 0:
        detail = _first_line(stderr) or f"ffmpeg exited with {code}"
        raise MediaError(f"the video could not be decoded: {detail}")
    whole = sum(len(b) for b in blocks) // size
    frames = np.empty(whole * size, np.uint8)  # its pages are taken as the blocks are let go
    at = 0
    while blocks and at < len(frames):
        block = blocks.popleft()
        take = min(len(block), len(frames) - at)
        frames[at : at + take] = np.frombuffer(block, np.uint8, take)
        at += take
    return frames.reshape(whole, size), stderr


_PTS = re.compile(rb"Parsed_showinfo.*?\bpts_time:\s*(-?[0-9.]+)")


def _timed_frames(
    path: Path, seek: list[str], select: str, size: tuple[int, int], timeout: float
) -> tuple[np.ndarray, np.ndarray]:
    """The gray frames (n, height, width) that the filter ``select`` lets through, each with its
    own presentation time in seconds (the player's clock), as the showinfo filter reports it."""
    width, height = size
    frames, stderr = _frames(
        ["ffmpeg", "-nostdin", "-hide_banner", "-v", "info", *seek, "-i", _url(path)]
        + ["-map", "0:v:0", "-an", "-sn", "-fps_mode", "passthrough"]
        + ["-vf", f"{select}scale={width}:{height},format=gray,showinfo"]
        + ["-f", "rawvideo", "-pix_fmt", "gray", "-"],
        width * height,
        timeout=timeout,
    )
    times = np.array([float(t) for t in _PTS.findall(stderr)], dtype=np.float64)
    n = min(len(frames), len(times))
    return frames[:n].reshape(n, height, width), times[:n]


def sample_frames(
    path: Path, *, fps: float, width: int, height: int
) -> tuple[np.ndarray, np.ndarray]:
    """Gray frames ``(n, height, width)`` uint8, at most ``fps`` a second (the first frame, then
    each first frame at least ``1 / fps`` after the last one taken), and the time of each in
    seconds: its own presentation time, so about ``i / fps`` but exact."""
    if fps <= 0 or width <= 0 or height <= 0:
        raise ValueError("fps, width and height must be positive")
    gap = max(0.0, 1.0 / fps - 0.001)  # a millisecond's slack for rounded timestamps
    select = f"select='isnan(prev_selected_t)+gte(t-prev_selected_t,{gap:.6f})',"
    return _timed_frames(path, [], select, (width, height), DECODE_TIMEOUT)


def frames_between(
    path: Path, start: float, end: float, *, width: int, height: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every frame shown from ``start`` to ``end`` seconds, at the video's own rate, gray
    ``(n, height, width)``, with each frame's own time: for finding the exact moment a slide
    changes."""
    if end <= start:
        return np.zeros((0, height, width), np.uint8), np.zeros(0)
    seek = ["-copyts", "-ss", f"{max(0.0, start):.3f}", "-to", f"{end:.3f}"]
    return _timed_frames(path, seek, "", (width, height), PROBE_TIMEOUT)


_SPACE = rb"(?:\s|#[^\n]*\n)+"  # netpbm: whitespace and comments between header fields
_PGM = re.compile(rb"P5" + _SPACE + rb"(\d+)" + _SPACE + rb"(\d+)" + _SPACE + rb"(\d+)\s")


def read_pgm(path: Path) -> np.ndarray:
    """A binary (P5) PGM image with maxval 255, as ``(h, w)`` uint8: what ``pdftoppm -gray``
    writes."""
    data = Path(path).read_bytes()
    header = _PGM.match(data)
    if header is None:
        raise MediaError(f"{Path(path).name} is not a binary PGM image")
    width, height, maxval = (int(f) for f in header.groups())
    if maxval != 255 or len(data) < header.end() + width * height:
        raise MediaError(f"{Path(path).name} is not an 8-bit PGM image of {width}x{height}")
    pixels = np.frombuffer(data, np.uint8, width * height, header.end())
    return pixels.reshape(height, width).copy()


# -- PDFs -----------------------------------------------------------------------------------


def _pdf_refused(stderr: bytes) -> MediaError:
    text = stderr.decode("utf-8", "replace")
    if "password" in text.lower() or "encrypt" in text.lower():
        return MediaError("the PDF is password-protected; accepted: a PDF without a password")
    detail = _first_line(stderr, last=True) or "unreadable"  # poppler ends with the cause
    return MediaError(f"the file is not a readable PDF ({detail}); accepted: a PDF of slides")


def pdf_page_count(path: Path) -> int:
    """The number of pages; MediaError for a damaged, encrypted or empty PDF, or one of more
    than MAX_PAGES pages."""
    done = _run(["pdfinfo", _arg(path)], timeout=PROBE_TIMEOUT)
    if done.returncode != 0:
        raise _pdf_refused(done.stderr)
    info = done.stdout.decode("utf-8", "replace")
    if re.search(r"^Encrypted:\s+yes", info, re.M):
        raise MediaError(
            "the PDF is encrypted (protected against copying or printing); accepted: a PDF"
            " without protection (export or print it again without a password)"
        )
    found = re.search(r"^Pages:\s+(\d+)", info, re.M)
    pages = int(found.group(1)) if found else 0
    if pages <= 0:
        raise MediaError("the PDF has no pages; accepted: a PDF of slides")
    if pages > MAX_PAGES:
        raise MediaError(f"the PDF has {pages} pages; accepted: at most {MAX_PAGES}")
    return pages


def render_pdf(path: Path, outdir: Path, *, width: int, fmt: str = "png") -> list[Path]:
    """Each page as an image ``width`` pixels wide (height to scale), in page order: PNG in
    colour, or PGM in gray (``fmt="pgm"``), named ``page-<n>.<fmt>`` (n zero-padded by
    pdftoppm) in ``outdir``, which is created if needed (files of that name already in it are
    replaced)."""
    if fmt not in ("png", "pgm"):
        raise ValueError(f"fmt is png or pgm, not {fmt!r}")
    outdir.mkdir(parents=True, exist_ok=True)
    for old in outdir.glob(f"page-*.{fmt}"):  # an earlier drawing's pages must not mix in
        old.unlink()
    prefix = outdir / "page"
    mode = ["-png"] if fmt == "png" else ["-gray"]
    done = _run(
        ["pdftoppm", *mode, "-scale-to-x", str(width), "-scale-to-y", "-1"]
        + [_arg(path), str(prefix.absolute())],
        timeout=PDF_TIMEOUT,
    )
    if done.returncode != 0:
        raise _pdf_refused(done.stderr)
    numbered: list[tuple[int, Path]] = []
    for found in outdir.glob(f"page-*.{fmt}"):
        number = found.stem.rsplit("-", 1)[-1]
        if number.isdigit():
            numbered.append((int(number), found))
    if not numbered:
        raise MediaError("the PDF's pages could not be drawn; accepted: a PDF of slides")
    return [p for _, p in sorted(numbered)]


def pdf_texts(path: Path) -> list[str]:
    """The text of each page (pdftotext's layout mode), one string per page."""
    pages = pdf_page_count(path)
    done = _run(["pdftotext", "-layout", "-enc", "UTF-8", _arg(path), "-"], timeout=PDF_TIMEOUT)
    if done.returncode != 0:
        raise _pdf_refused(done.stderr)
    texts = done.stdout.decode("utf-8", "replace").split("\f")
    texts = (texts + [""] * pages)[:pages]
    return [t.strip("\n") for t in texts]


def slide_title(text: str) -> str:
    """A page's title: its first non-empty line, whitespace collapsed, at most 120 characters."""
    for line in text.splitlines():
        title = " ".join(line.split())
        if title:
            return title[:120]
    return ""


__all__ = [
    "ACCEPTED_VIDEO",
    "MediaError",
    "VideoInfo",
    "frames_between",
    "pdf_page_count",
    "pdf_texts",
    "probe_video",
    "read_pgm",
    "render_pdf",
    "sample_frames",
    "slide_title",
]
