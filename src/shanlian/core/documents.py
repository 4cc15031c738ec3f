"""Printable documents (receipts, service certificates): QR codes and self-contained PDFs."""

from __future__ import annotations

import io
from typing import Any, NoReturn

import segno


def qr_svg(url: str) -> str:
    """Inline SVG markup (no XML declaration) of a QR code for ``url``.

    It has a viewBox and an intrinsic size of 4 px per module, so CSS can scale it; the light modules are
    white so it scans on a coloured or dark background. The markup is generated, never taken from input
    (the URL is only encoded into the path), so it is safe to mark as safe HTML.
    """
    if not url:
        raise ValueError("a QR code needs a URL")
    qr = segno.make(url, error="m", micro=False)
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", xmldecl=False, svgns=True, nl=False, omitsize=True, border=4, light="#fff", svgclass="qr")
    svg = buffer.getvalue().decode("utf-8")
    size = qr.symbol_size(scale=4, border=4)[0]
    return svg.replace("<svg ", f'<svg width="{size}" height="{size}" ', 1)


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    """WeasyPrint URL fetcher: documents are self-contained, so they never load anything (no SSRF, no file reads)."""
    raise ValueError(f"documents load no external resources: {url!r}")


def pdf_from_html(html: str) -> bytes:
    from weasyprint import HTML  # heavy import (pango via cffi); only the callers that print pay for it

    pdf = HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
