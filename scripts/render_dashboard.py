#!/usr/bin/env python3
"""Render a Grafana dashboard of deploy/monitoring/dashboards to a PNG from a running Prometheus.

Each panel's targets are asked of Prometheus with ``query_range`` over the last ``--minutes``;
each returned series is drawn as a line named by the target's ``legendFormat``, in the panel's
place on Grafana's 24-column grid. It draws what Prometheus answers, so a panel without data is
drawn empty and named in the output ("no data"), never left out.

    python scripts/render_dashboard.py --prometheus http://127.0.0.1:9090 --out docs/overview-dashboard.png

tests/test_prometheus.py runs it against the Prometheus it starts (set WIREWATCH_TEST_DASHBOARD_PNG
to keep that PNG; the README's picture is made so).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402 - after choosing the backend
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DASHBOARD = ROOT / "deploy" / "monitoring" / "dashboards" / "wirewatch-overview.json"
GRID_COLUMNS = 24
WIDTH_IN, ROW_IN = 16.0, 0.42  # the figure's width and the height of one grid row, in inches
HEADER_IN = 0.5  # above the first row: the dashboard's title
# inside a panel's grid cell: its title above, the tick labels below and left, a gap to the right
PAD_TOP_IN, PAD_BOTTOM_IN, PAD_LEFT_IN, PAD_RIGHT_IN = 0.3, 0.35, 0.5, 0.15


def legend(fmt: str | None, labels: dict[str, str]) -> str:
    """Grafana's ``{{label}}`` substitution; no format: the series' labels."""
    if not fmt:
        return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "value"
    return re.sub(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt).strip()


def query_range(prometheus: str, expr: str, start: float, end: float, step_s: float) -> list[dict]:
    res = httpx.get(f"{prometheus}/api/v1/query_range",
                    params={"query": expr, "start": start, "end": end, "step": step_s}, timeout=30)
    res.raise_for_status()
    body = res.json()
    if body.get("status") != "success":
        raise RuntimeError(f"{expr}: {body.get('error')}")
    return body["data"]["result"]


def draw_panel(ax, panel: dict, prometheus: str, start: float, end: float, step_s: float) -> int:
    """Draw one panel's series on ``ax``; returns how many series had a finite value."""
    drawn = 0
    for target in panel.get("targets", []):
        for series in query_range(prometheus, target["expr"], start, end, step_s):
            points = [(datetime.fromtimestamp(t, UTC), float(v)) for t, v in series["values"]]
            points = [(t, v) for t, v in points if math.isfinite(v)]
            if not points:
                continue
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, linewidth=1.4, label=legend(target.get("legendFormat"), series["metric"]))
            drawn += 1
    ax.set_title(panel.get("title", ""), fontsize=9, loc="left")
    ax.tick_params(labelsize=7)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))
    ax.grid(True, alpha=0.3)
    if drawn:
        ax.legend(fontsize=6, loc="upper left", frameon=False)
    else:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, color="grey")
    return drawn


def panel_rect(grid_pos: dict, height_in: float) -> tuple[float, float, float, float]:
    """The axes of a panel at Grafana's ``gridPos`` (columns of 24, rows from the top), as figure
    fractions (left, bottom, width, height); the paddings keep a panel's title and tick labels
    inside its own cell, so no two panels overlap."""
    col_in = WIDTH_IN / GRID_COLUMNS
    left = grid_pos["x"] * col_in + PAD_LEFT_IN
    width = grid_pos["w"] * col_in - PAD_LEFT_IN - PAD_RIGHT_IN
    top = HEADER_IN + grid_pos["y"] * ROW_IN + PAD_TOP_IN
    height = grid_pos["h"] * ROW_IN - PAD_TOP_IN - PAD_BOTTOM_IN
    return left / WIDTH_IN, 1 - (top + height) / height_in, width / WIDTH_IN, height / height_in


def render(prometheus: str, dashboard: dict, out: Path, minutes: float, now: float | None = None) -> list[str]:
    """Render ``dashboard`` to ``out``; returns the titles of the panels that had no data."""
    end = now or time.time()
    start = end - minutes * 60
    step_s = max(1.0, minutes * 60 / 300)  # about 300 points a line
    panels = dashboard["panels"]
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    height_in = HEADER_IN + rows * ROW_IN
    fig = plt.figure(figsize=(WIDTH_IN, height_in))
    empty = []
    for panel in panels:
        ax = fig.add_axes(panel_rect(panel["gridPos"], height_in))
        if not draw_panel(ax, panel, prometheus, start, end, step_s):
            empty.append(panel.get("title", "?"))
    fig.text(0.005, 1 - 0.15 / height_in, f"{dashboard.get('title', '')} — last {minutes:g} min, "
             f"{datetime.fromtimestamp(end, UTC):%Y-%m-%d %H:%M} UTC", fontsize=12, ha="left", va="top")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return empty


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prometheus", required=True, help="Prometheus base URL, e.g. http://127.0.0.1:9090")
    parser.add_argument("--dashboard", type=Path, default=DEFAULT_DASHBOARD, help="Grafana dashboard JSON")
    parser.add_argument("--minutes", type=float, default=15.0, help="time range to draw, ending now")
    parser.add_argument("--out", type=Path, required=True, help="PNG file to write")
    args = parser.parse_args(argv)
    dashboard = json.loads(args.dashboard.read_text(encoding="utf-8"))
    try:
        empty = render(args.prometheus.rstrip("/"), dashboard, args.out, args.minutes)
    except (httpx.HTTPError, RuntimeError) as exc:
        print(f"render_dashboard: {exc}", file=sys.stderr)
        return 1
    print(f"render_dashboard: wrote {args.out} ({len(dashboard['panels'])} panels"
          + (f"; no data: {', '.join(empty)}" if empty else "") + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
