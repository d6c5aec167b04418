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


def render(prometheus: str, dashboard: dict, out: Path, minutes: float, now: float | None = None) -> list[str]:
    """Render ``dashboard`` to ``out``; returns the titles of the panels that had no data."""
    end = now or time.time()
    start = end - minutes * 60
    step_s = max(1.0, minutes * 60 / 300)  # about 300 points a line
    panels = dashboard["panels"]
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    fig = plt.figure(figsize=(16, rows * 0.42))
    grid = fig.add_gridspec(rows, GRID_COLUMNS, hspace=1.6, wspace=1.2)
    empty = []
    for panel in panels:
        g = panel["gridPos"]
        ax = fig.add_subplot(grid[g["y"]:g["y"] + g["h"], g["x"]:g["x"] + g["w"]])
        if not draw_panel(ax, panel, prometheus, start, end, step_s):
            empty.append(panel.get("title", "?"))
    fig.suptitle(f"{dashboard.get('title', '')} — last {minutes:g} min, "
                 f"{datetime.fromtimestamp(end, UTC):%Y-%m-%d %H:%M} UTC", fontsize=12, x=0.01, ha="left")
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
