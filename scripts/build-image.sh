#!/usr/bin/env bash
# Build the Wirewatch image without a daemon or registry access:
#   1. wheels: the project's own wheel and every dependency's, fetched here by pip (outside the
#      build) into build/image-context/wheels, so the Dockerfile installs with --no-index;
#   2. base: BASE_IMAGE if buildah has it (or can pull it); otherwise a local Debian bookworm +
#      python3 image made with debootstrap (cached as localhost/wirewatch-base:bookworm);
#   3. buildah bud (--isolation chroot --storage-driver vfs: no daemon, no user namespaces needed).
#
#   scripts/build-image.sh [TAG]        (default localhost/wirewatch:dev)
# Environment: BASE_IMAGE, PYTHON (the interpreter whose pip fetches the wheels; it must be the
# image's Python minor version, 3.11), BUILDAH_STORAGE_ROOT (optional --root for buildah).
set -euo pipefail
# errexit inside $(...) too: base=$(choose_base) must stop when debootstrap fails, not commit the
# half-made root filesystem as the base (which is what happened without it)
shopt -s inherit_errexit

TAG=${1:-localhost/wirewatch:dev}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CONTEXT=$ROOT/build/image-context
PYTHON=${PYTHON:-python3}
BASE_IMAGE=${BASE_IMAGE:-docker.io/library/python:3.11-slim-bookworm}
LOCAL_BASE=localhost/wirewatch-base:bookworm
BUILDAH=(buildah --storage-driver vfs)
if [ -n "${BUILDAH_STORAGE_ROOT:-}" ]; then
  BUILDAH+=(--root "$BUILDAH_STORAGE_ROOT" --runroot "$BUILDAH_STORAGE_ROOT/run")
fi

log() { echo "build-image: $*" >&2; }

fetch_wheels() {
  rm -rf "$CONTEXT"
  mkdir -p "$CONTEXT/wheels"
  cp "$ROOT/Dockerfile" "$ROOT/.dockerignore" "$CONTEXT/"
  log "fetching wheels with $("$PYTHON" --version)"
  # pip wheel builds the project's wheel and takes every dependency as a wheel (built if need be)
  "$PYTHON" -m pip wheel --quiet --wheel-dir "$CONTEXT/wheels" "$ROOT[postgres]"
  # the build stage's venv needs these to install and then remove pip's own tooling
  "$PYTHON" -m pip download --quiet --only-binary :all: --dest "$CONTEXT/wheels" pip setuptools wheel
}

have_image() { "${BUILDAH[@]}" inspect --type image "$1" >/dev/null 2>&1; }

# a usable base makes a venv with pip (python3-venv configured): a half-installed one is rebuilt
base_works() {
  "${BUILDAH[@]}" run --isolation chroot "$1" -- python3 -c 'import ensurepip, venv' >/dev/null 2>&1
}

debootstrap_base() {
  if have_image "$LOCAL_BASE"; then
    local probe ok=0
    probe=$("${BUILDAH[@]}" from --pull-never "$LOCAL_BASE")
    base_works "$probe" && ok=1
    "${BUILDAH[@]}" rm "$probe" >/dev/null
    if [ "$ok" = 1 ]; then
      log "using the local base $LOCAL_BASE"
      return
    fi
    log "the local base $LOCAL_BASE cannot make a venv: removing it and building it again"
    "${BUILDAH[@]}" rmi "$LOCAL_BASE" >/dev/null
  fi
  log "$BASE_IMAGE cannot be pulled: building $LOCAL_BASE with debootstrap (Debian bookworm + python3)"
  local rootfs
  rootfs=$(mktemp -d)
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >&2
  # every package configured, the venv module with its ensurepip: checked before anything is committed
  chroot "$rootfs" dpkg --audit >&2
  chroot "$rootfs" python3 -c 'import ensurepip, venv'
  # an image holds no package lists or caches; apt can fetch them again
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  local c
  c=$("${BUILDAH[@]}" from scratch)
  "${BUILDAH[@]}" copy --quiet "$c" "$rootfs" / >/dev/null
  "${BUILDAH[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 --cmd /bin/bash "$c"
  "${BUILDAH[@]}" commit --quiet --rm "$c" "$LOCAL_BASE" >/dev/null
  rm -rf "$rootfs"
}

choose_base() {
  if have_image "$BASE_IMAGE" || timeout 60 "${BUILDAH[@]}" pull --quiet --retry 0 "$BASE_IMAGE" >/dev/null 2>&1; then
    echo "$BASE_IMAGE"
  else
    debootstrap_base
    echo "$LOCAL_BASE"
  fi
}

fetch_wheels
base=$(choose_base)
log "building $TAG on $base"
start=$(date +%s)
"${BUILDAH[@]}" bud --isolation chroot --layers=false \
  --build-arg "BASE_IMAGE=$base" \
  --build-arg "VERSION=$("$PYTHON" -c 'import tomllib,sys;print(tomllib.load(open(sys.argv[1],"rb"))["project"]["version"])' "$ROOT/pyproject.toml")" \
  --build-arg "REVISION=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)" \
  --build-arg "CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --tag "$TAG" --file "$CONTEXT/Dockerfile" "$CONTEXT" >&2
log "built $TAG in $(( $(date +%s) - start ))s (wheels and base not counted)"
"${BUILDAH[@]}" images --format '{{.Name}}:{{.Tag}} {{.Size}}' "$TAG" >&2
