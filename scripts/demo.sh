#!/usr/bin/env bash
# The main job: set up and build (scripts/setup.sh), run the Node demo twice
# (the second run finds the first one's state in the file), show that the
# native CLI (persistent-map-native) reads the same file, then serve the browser demo on
# http://127.0.0.1 until Ctrl-C.
# Environment:
#   PMAP_DEMO_NO_SERVE=1     stop after the Node demo (tests, CI)
#   PMAP_DEMO_NO_SETUP=1     skip scripts/setup.sh (everything is built already)
#   PMAP_DEMO_STORE=FILE     the Node demo's store (default build/demo/node_demo.pmap)
#   PMAP_DEMO_PORT=PORT      the server's port (default 8080, or any free one; 0: any)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${PMAP_DEMO_NO_SETUP:-}" = 1 ] || scripts/setup.sh
store=${PMAP_DEMO_STORE:-build/demo/node_demo.pmap}

echo "\$ node demo/node_demo.mjs $store   # twice: the state is kept in the file"
node demo/node_demo.mjs "$store"
node demo/node_demo.mjs "$store"
echo "\$ build/persistent-map-native stat $store   # the same file, read by the native CLI"
build/persistent-map-native stat "$store"

[ "${PMAP_DEMO_NO_SERVE:-}" = 1 ] && exit 0
exec node demo/serve.mjs
