#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it: build, lint, type-check (tests included), then
# every test file. The real tools (collector, Prometheus) are installed by the vitest global setup.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
echo "node $(node --version) (pinned by the node@24 devDependency)"
npx tsc -b
npx tsc -p tsconfig.tests.json
npx biome check .
npx vitest run "$@"
