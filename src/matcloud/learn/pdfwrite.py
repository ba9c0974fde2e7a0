"""A tiny PDF writer: pages of text and filled rectangles, nothing else.

It exists so that the demo lecture's slides (and tests) are made here, from code, instead of being
a binary committed to the repository, and without a PDF library as a dependency. The output is a
plain PDF 1.4 with uncompressed content streams and the standard Helvetica fonts (not embedded),
which poppler (pdfinfo, pdftoppm, pdftotext) and browsers read without complaint.

Coordinates are PDF points with the origin at the bottom-left corner of the page; a text's ``y``
is its baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class Text:
    """A line of text; characters outside Windows-1252 are written as ``?``."""

    x: float
    y: float
    size: float
    text: str
    bold: bool = False
    rgb: RGB = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Rect:
    """A filled rectangle, ``(x, y)`` its bottom-left corner; colours are 0-1."""

    x: float
    y: float
    w: float
    h: float
    rgb: RGB


PdfItem = Text | Rect


def _num(value: float) -> str:
    """A number as PDF writes it: no exponent, no needless zeros."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _colour(rgb: RGB) -> str:
    for c in rgb:
        if not 0.0 <= c <= 1.0:
            raise ValueError(f"colour components are between 0 and 1, not {c}")
    return " ".join(_num(c) for c in rgb)


def _string(text: str) -> bytes:
    """A PDF literal string in WinAnsi (Windows-1252), with ``( ) \\`` escaped."""
    raw = text.encode("cp1252", errors="replace")
    out = bytearray(b"(")
    for byte in raw:
        if byte in b"()\\":
            out += b"\\" + bytes([byte])
        elif byte < 32 or byte == 127:
            out += b"?"
        else:
            out.append(byte)
    out += b")"
    return bytes(out)


def _content(items: list[PdfItem]) -> bytes:
    parts: list[bytes] = []
    for item in items:
        if isinstance(item, Rect):
            parts.append(
                f"{_colour(item.rgb)} rg {_num(item.x)} {_num(item.y)} "
                f"{_num(item.w)} {_num(item.h)} re f".encode("ascii")
            )
        else:
            font = "/F2" if item.bold else "/F1"
            parts.append(
                f"BT {font} {_num(item.size)} Tf {_colour(item.rgb)} rg "
                f"{_num(item.x)} {_num(item.y)} Td ".encode("ascii")
                + _string(item.text)
                + b" Tj ET"
            )
    return b"\n".join(parts) + b"\n"


def write_pdf(pages: list[list[PdfItem]], *, width: float = 960, height: float = 540) -> bytes:
    """The PDF of ``pages`` (each a list of items drawn in order), all ``width`` x ``height``
    points. Deterministic: the same pages give the same bytes (no dates, no random ID)."""
    if not pages:
        raise ValueError("a PDF needs at least one page")
    if width <= 0 or height <= 0:
        raise ValueError("the page size must be positive")
    # Objects: 1 catalog, 2 page tree, 3 Helvetica, 4 Helvetica-Bold, then per page its page
    # object and its content stream.
    first_page = 5
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(len(pages)))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode("ascii"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    for i, items in enumerate(pages):
        content = _content(items)
        objects.append(
            (
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_num(width)} {_num(height)}] "
                f"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> "
                f"/Contents {first_page + 2 * i + 1} 0 R >>"
            ).encode("ascii")
        )
        objects.append(
            f"<< /Length {len(content)} >>\nstream\n".encode("ascii") + content + b"endstream"
        )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode("ascii")
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode("ascii")
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode("ascii")
    return bytes(out)


__all__ = ["PdfItem", "Rect", "Text", "write_pdf"]
