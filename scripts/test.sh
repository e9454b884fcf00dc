#!/usr/bin/env bash
# `npm test`: prepares the checkout (scripts/setup.sh, which also type-checks through the build)
# and runs every *.test.ts with node's test runner: unit tests under src/ first, then the
# integration and end-to-end suites under test/. Extra arguments go to `node --test` (for example
# --test-name-pattern=...). Exits non-zero when any test fails or when either directory has no
# test files.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh

run_suite() {
  local label="$1" dir="$2"
  shift 2
  local files=()
  if [ -d "$dir" ]; then
    while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$dir" -name '*.test.ts' -type f -print0 | LC_ALL=C sort -z)
  fi
  if [ "${#files[@]}" -eq 0 ]; then
    printf 'test: no %s test files under %s/\n' "$label" "$dir" >&2
    return 2
  fi
  printf 'test: running %d %s test files\n' "${#files[@]}" "$label" >&2
  node --import tsx --test --test-reporter=spec "$@" "${files[@]}"
}

status=0
run_suite unit src "$@" || status=1
# Integration and end-to-end suites start servers and containers; one file at a time.
run_suite "integration/e2e" test --test-concurrency=1 "$@" || status=1

if [ "$status" -ne 0 ]; then
  printf 'test: FAILED\n' >&2
  exit 1
fi
printf 'test: all passed\n' >&2
