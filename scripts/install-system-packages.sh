#!/usr/bin/env bash
# System packages the project needs beyond what pip installs: Python's venv module, make, a
# PostgreSQL server for the PostgreSQL half of the tests, Chromium for the web page test, socat
# and openssl for the Kafka TLS test, and the deploy/ tools (promtool, buildah, debootstrap).
# Idempotent; installs only what is missing.
set -euo pipefail

need=()
command -v make >/dev/null 2>&1 || need+=(make)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
# the analysts' page is tested in a real headless browser
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# ... and driven through its chromedriver (selenium) when a test needs to act on an open page
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
# Kafka over TLS is tested for real: socat terminates TLS in front of the test broker, openssl makes the certificates
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# deploy/: promtool checks and unit-tests the alert rules; buildah builds and runs the image
# without a daemon; debootstrap makes a local base image where none can be pulled
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v buildah >/dev/null 2>&1 || need+=(buildah)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
# kubectl (kustomize v5, kubectl 1.27+) is expected preinstalled: Debian's kubernetes-client is 1.20,
# whose kustomize cannot build deploy/
command -v kubectl >/dev/null 2>&1 || { echo "install-system-packages: kubectl 1.27+ is required (not from Debian)" >&2; exit 1; }

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-packages: please install: ${need[*]}" >&2
    exit 1
  fi
  echo "install-system-packages: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
