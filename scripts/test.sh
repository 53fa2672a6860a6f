#!/usr/bin/env bash
# The one test command (README, `make test`, `.ci/run`): installs what it needs, then type-checks, lints,
# checks formatting, runs the unit tests and the integration/end-to-end tests against the real local
# cluster (etcd, kube-apiserver, controller-manager, scheduler, kwok, Knative Serving, Prometheus).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
step() { printf '\n==> %s [%s]\n' "$*" "$(date +%H:%M:%S)"; }

step "installing system packages (prometheus) if missing"
bash local-cluster/install-deps.sh

step "installing npm packages"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

step "building or reusing the pinned upstream binaries (cache: ${KSISS_CACHE:-$HOME/.cache/k-siss})"
bash local-cluster/build-upstream.sh

step "type-check, lint, format"
npx tsc -p tsconfig.json --noEmit
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }

results="$(mktemp -d)"
step "unit tests"
unit_rc=0
node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects unit --ci \
  --json --outputFile="$results/unit.json" || unit_rc=$?

step "integration and end-to-end tests (real local cluster)"
int_rc=0
node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects integration --ci --runInBand --testTimeout=600000 \
  --json --outputFile="$results/integration.json" || int_rc=$?

node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of process.argv.slice(1)) {
    if (!fs.existsSync(f)) { failed += 1; continue; }
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
    skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`\n${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$results/unit.json" "$results/integration.json"
[ "$unit_rc" = 0 ] && [ "$int_rc" = 0 ]
