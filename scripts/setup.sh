#!/usr/bin/env bash
# Installs what the build and tests need on a fresh Debian machine (only what
# is missing: Debian packages with apt-get, npm packages with npm ci), then
# configures and builds everything into build/ (native library, the native
# CLI persistent-map-native, tests, benchmark, and the WebAssembly core into
# js/wasm/).
# Usage: scripts/setup.sh [extra cmake -D options]
set -euo pipefail
cd "$(dirname "$0")/.."

# sqlite3: the sqlite backend's tests read its databases with the sqlite3 tool.
# util-linux (unshare) and mount: the full-disk test mounts a small tmpfs in a
# private mount namespace.
# nats-server: the nats backend's tests start a three-node JetStream cluster.
packages=(cmake g++ make libgtest-dev libbenchmark-dev nlohmann-json3-dev clang libclang-rt-dev sqlite3 util-linux mount nats-server)
command -v emcc >/dev/null || packages+=(emscripten)
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
# The browser tests drive Debian's Chromium with playwright-core.
[ -x /usr/bin/chromium ] || packages+=(chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm packages (Jest, playwright-core, Vite, TypeScript, sqlite-wasm), re-installed only when package-lock.json changed.
if ! cmp -s package-lock.json node_modules/.pmap-lock-stamp 2>/dev/null; then
  echo "setup: npm ci" >&2
  if ! npm ci --no-audit --no-fund >/tmp/pmap-npm-ci.log 2>&1; then
    # npm 11 writes lock files without the other platforms' optional
    # packages (rollup's, esbuild's) and then its own `npm ci` calls the
    # lock out of sync. Install from the same lock with `npm install`, which
    # honours the pinned versions and does not rewrite the lock.
    if grep -q "EUSAGE" /tmp/pmap-npm-ci.log; then
      echo "setup: npm ci refused this lock file (npm bug); npm install --no-save" >&2
      npm install --no-save --no-audit --no-fund >/dev/null
    else
      cat /tmp/pmap-npm-ci.log >&2
      exit 1
    fi
  fi
  cp package-lock.json node_modules/.pmap-lock-stamp
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build build -j"$(nproc)"
