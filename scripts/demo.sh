#!/usr/bin/env bash
# The main job for now: build, then drive the pmap CLI on a sample store.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
pmap=build/pmap
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
store="$dir/sample.pmap"

run() { echo "\$ pmap $*"; "$pmap" "$@"; }
run set "$store" user:1 '{"name":"Ada","langs":["en","fr"]}'
run set "$store" user:2 '{"name":"Grace"}'
run set "$store" counter 41
run set "$store" user:1 '{"name":"Ada Lovelace"}'
run del "$store" user:2
run set "$store" avatar '{"$bytes":"iVBORw0KGgo="}'
run get "$store" user:1
run dump "$store"
run export-csv "$store" "$dir/sample.csv"
cat "$dir/sample.csv"
run import-csv "$store.copy" "$dir/sample.csv"
run dump "$store.copy"
run compact "$store"
run stat "$store"
printf 'garbage' >> "$store"
run verify "$store" || echo "(verify exit code $? — the appended garbage is reported with its byte offset)"
