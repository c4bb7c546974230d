#!/usr/bin/env bash
# charts/mcpscope/README.md from README.md.gotmpl, Chart.yaml and values.yaml's `# --` comments, by
# helm-docs (pinned, built by e2e/tools/setup.sh). The packaging test fails when the README differs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
helm_docs="${HELM_DOCS:-$(bash e2e/tools/setup.sh | sed -n 's/^HELM_DOCS=//p')}"
"$helm_docs" --chart-search-root charts/mcpscope --log-level warning
echo "wrote charts/mcpscope/README.md" >&2
