#!/usr/bin/env bash
# `npm run bench`: prepares the checkout and runs the benchmarks (bench/run.ts); arguments are
# passed on.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"

if [ ! -f bench/run.ts ]; then
  printf 'bench: bench/run.ts not found\n' >&2
  exit 1
fi
exec node --import tsx bench/run.ts "$@"
