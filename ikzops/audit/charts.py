"""The report's charts as inline SVG (pure; no script, no external file: prints as it shows)."""

from __future__ import annotations

from html import escape

from ikzops.model.units import format_seconds

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 180, 48, 24, 12
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b")
LIMIT = "#d62728"


def _frame(title: str, y_label: str, body: list[str], x_label: str) -> str:
    plot_h = HEIGHT - BOTTOM - TOP
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(title)}" class="chart">',
             f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#444"/>',
             f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 8}" y2="{TOP + plot_h}" stroke="#444"/>',
             f'<text x="4" y="{TOP + 8}" font-size="10">{escape(y_label)}</text>',
             f'<text x="4" y="{TOP + plot_h}" font-size="10">0</text>',
             f'<text x="{LEFT}" y="{HEIGHT - 6}" font-size="10">{escape(x_label)}</text>']
    return "".join(parts + body + ["</svg>"])


def age_chart(series: dict[str, list[tuple[float, float]]], rpo_hours: float, span_hours: float, span_label: str) -> str:
    """Age of the newest good backup (hours) over the period, per destination, against the RPO."""

    y_max = max([rpo_hours * 1.5] + [age for points in series.values() for _, age in points]) or 1
    span = span_hours or 1
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP

    def xy(hours: float, age: float) -> str:
        return f"{LEFT + plot_w * hours / span:.1f},{TOP + plot_h * (1 - age / y_max):.1f}"

    body = []
    rpo_y = TOP + plot_h * (1 - rpo_hours / y_max)
    body.append(f'<line x1="{LEFT}" y1="{rpo_y:.1f}" x2="{WIDTH - 8}" y2="{rpo_y:.1f}" stroke="{LIMIT}" '
                f'stroke-dasharray="6 3"/><text x="{WIDTH - 60}" y="{rpo_y - 3:.1f}" font-size="10" '
                f'fill="{LIMIT}">RPO</text>')
    for index, (site, points) in enumerate(sorted(series.items())):
        colour = COLOURS[index % len(COLOURS)]
        if points:
            body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" '
                        f'points="{" ".join(xy(h, a) for h, a in points)}"/>')
        body.append(f'<text x="{LEFT + 8 + 90 * index}" y="{TOP + 10}" font-size="10" fill="{colour}">'
                    f'{escape(site)}</text>')
    return _frame("age of the newest good backup against the RPO", f"{y_max:.3g} h", body, span_label)


def duration_chart(bars: list[tuple[str, float, bool]], limit_seconds: float) -> str:
    """Each drill or restore's time (seconds) against the RTO; a failed one is drawn hatched red."""

    y_max = max([limit_seconds * 1.2] + [seconds for _, seconds, _ in bars]) or 1
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    step = plot_w / max(len(bars), 1)
    body = []
    for index, (label, seconds, ok) in enumerate(bars):
        height = plot_h * seconds / y_max
        x = LEFT + index * step + step * 0.15
        body.append(f'<rect x="{x:.1f}" y="{TOP + plot_h - height:.1f}" width="{step * 0.7:.1f}" '
                    f'height="{height:.1f}" fill="{COLOURS[0] if ok else LIMIT}"><title>{escape(label)}: '
                    f'{seconds:.0f} s</title></rect>')
    limit_y = TOP + plot_h * (1 - limit_seconds / y_max)
    body.append(f'<line x1="{LEFT}" y1="{limit_y:.1f}" x2="{WIDTH - 8}" y2="{limit_y:.1f}" stroke="{LIMIT}" '
                f'stroke-dasharray="6 3"/><text x="{WIDTH - 60}" y="{limit_y - 3:.1f}" font-size="10" '
                f'fill="{LIMIT}">RTO</text>')
    return _frame("drill and restore time against the RTO", format_seconds(y_max), body,
                  "drills and restores, oldest first")
