#!/usr/bin/env bash
# Prepares this checkout to run Skiff: system packages (as root), node modules, compiled output.
# Idempotent and quiet when there is nothing to do; safe to run from any directory.
#
#   SKIFF_SKIP_PACKAGES=1   do not check or install Debian packages (development only)
#   SKIFF_SKIP_BUILD=1      do not run `npm run build`
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# --- node ------------------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || die "node is not installed (Node.js 20 or newer is required)"
command -v npm >/dev/null 2>&1 || die "npm is not installed"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "Node.js 20 or newer is required (found $(node --version))"

# --- Debian packages -------------------------------------------------------------------------
# etcd for the etcd datastore; containerd, runc, CNI plugins, busybox, iptables and iproute2 for
# real nodes (the kubelet's CRI runtime, pod networking, the test images); docker-registry and
# skopeo for the image-pull tests (a registry on loopback, images pushed into it); apache2-utils
# for htpasswd (the bcrypt password file of the registry that requires credentials).
PACKAGES=(
  etcd-server
  etcd-client
  containerd
  runc
  containernetworking-plugins
  busybox-static
  iptables
  iproute2
  docker-registry
  skopeo
  apache2-utils
)

is_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]
}

if [ "${SKIFF_SKIP_PACKAGES:-}" != "1" ]; then
  if command -v dpkg-query >/dev/null 2>&1; then
    missing=()
    for pkg in "${PACKAGES[@]}"; do
      is_installed "$pkg" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
      if [ "$(id -u)" -ne 0 ]; then
        die "missing Debian packages: ${missing[*]}
  install them as root:  apt-get install -y --no-install-recommends ${missing[*]}"
      fi
      log "installing Debian packages: ${missing[*]}"
      export DEBIAN_FRONTEND=noninteractive
      apt_log="$(mktemp)"
      if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}"; } >"$apt_log" 2>&1; then
        cat "$apt_log" >&2
        rm -f "$apt_log"
        die "apt-get failed"
      fi
      rm -f "$apt_log"
      for pkg in "${missing[@]}"; do
        is_installed "$pkg" || die "package $pkg did not install"
      done
    fi
  else
    log "warning: dpkg-query not found; not a Debian system, skipping the package check"
  fi
fi

if ! command -v kubectl >/dev/null 2>&1; then
  log "warning: kubectl is not installed; the end-to-end tests and the quick start need it"
fi

# --- node modules ----------------------------------------------------------------------------
lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp="node_modules/.skiff-lock-sha256"
# node_modules installed some other way after the last lock change counts as current.
if [ -d node_modules ] && [ ! -f "$stamp" ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  printf '%s\n' "$lock_sum" >"$stamp"
fi
if [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  log "installing node modules (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2
  printf '%s\n' "$lock_sum" >"$stamp"
fi

# --- build -----------------------------------------------------------------------------------
# `npm run build` type-checks everything and writes dist/ (with the JSON assets read at run
# time). bin/skiff falls back to the sources when dist/ is older than them.
if [ "${SKIFF_SKIP_BUILD:-}" != "1" ]; then
  build_stamp="dist/.skiff-build-stamp"
  inputs=(src scripts bench test tsconfig.json package.json package-lock.json)
  existing=()
  for p in "${inputs[@]}"; do [ -e "$p" ] && existing+=("$p"); done
  if [ ! -f "$build_stamp" ] || [ -n "$(find "${existing[@]}" -newer "$build_stamp" \( -name '*.ts' -o -name '*.json' \) -print -quit)" ]; then
    log "building (tsc)"
    # Remember when the build started so files edited during it trigger the next build.
    start_marker="$(mktemp)"
    npm run --silent build >&2 || { rm -f "$start_marker"; die "build failed (see the TypeScript errors above)"; }
    mkdir -p dist
    touch -r "$start_marker" "$build_stamp"
    rm -f "$start_marker"
  fi
fi
