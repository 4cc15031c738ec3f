"""A capacity diagnosis's PDF report: the radar drawn as inline SVG from the numbers (ECharts does not run in
WeasyPrint), the document rendered in the default language."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .selectors_capacity import (
    LEVELS,
    DiagnosisReport,
    radar_data,
)

# --- the PDF report ------------------------------------------------------------------------------------------------------

RADAR_COLORS = {"this": "#c8302b", "peers": "#2b6cb0", "previous": "#9ca3af"}


def radar_svg(chart: dict[str, Any], size: int = 360) -> SafeString:
    """The radar chart drawn as inline SVG from the numbers (ECharts does not run in WeasyPrint): rings at levels 1 to
    4, one axis a dimension, one polygon a series. Only numbers and escaped names go in."""
    names = [str(i["name"]) for i in chart.get("indicators", [])]
    n = len(names)
    if n < 3:
        return mark_safe("")  # noqa: S308 - nothing from input
    c, radius = size / 2, size / 2 - 70

    def point(axis: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * axis / n
        r = radius * max(0.0, min(float(value), LEVELS)) / LEVELS
        return c + r * math.cos(angle), c + r * math.sin(angle)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}">']
    for level in range(1, LEVELS + 1):
        ring = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(a, level) for a in range(n)))
        parts.append(f'<polygon points="{ring}" fill="none" stroke="#d1d5db" stroke-width="0.8"/>')
    for a, name in enumerate(names):
        x, y = point(a, LEVELS)
        parts.append(f'<line x1="{c:.1f}" y1="{c:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="#d1d5db" stroke-width="0.8"/>')
        lx, ly = point(a, LEVELS + 0.55)
        anchor = "middle" if abs(lx - c) < 8 else ("start" if lx > c else "end")
        parts.append(f'<text x="{lx:.1f}" y="{ly + 4:.1f}" font-size="11" text-anchor="{anchor}" fill="#1f2933">{escape(name)}</text>')
    for series in reversed(chart.get("series", [])):
        color = RADAR_COLORS.get(series.get("key", ""), "#6b7280")
        values = [v if isinstance(v, int | float) else 0 for v in series.get("value", [])][:n]
        if len(values) < n:
            continue
        shape = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(a, v) for a, v in enumerate(values)))
        dash = ' stroke-dasharray="4 3"' if series.get("key") != "this" else ""
        opacity = "0.18" if series.get("key") == "this" else "0"
        parts.append(f'<polygon points="{shape}" fill="{color}" fill-opacity="{opacity}" stroke="{color}" stroke-width="1.6"{dash}/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped names only


def diagnosis_pdf(report: DiagnosisReport) -> bytes:
    """The report as an A4 PDF, in the project's language (a document an organization files and shows)."""
    from shanlian.core.documents import pdf_from_html

    with translation.override(settings.LANGUAGE_CODE):
        report.chart = radar_data(report)
        html = render_to_string("evaluation/capacity/report_pdf.html", {
            "r": report, "d": report.diagnosis, "svg": radar_svg(report.chart), "today": timezone.localdate(),
            "colors": RADAR_COLORS})
    return pdf_from_html(html)
