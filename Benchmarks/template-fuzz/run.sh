#!/usr/bin/env bash
# Template fuzzing: builds TemplateFuzz in release mode and runs RUNS (default 10,000) seeded
# mutations of the templates in Tests/Fixtures/sam (byte flips, truncations, deep nesting, YAML
# alias bombs, long Fn::Sub strings, condition chains, nested-stack diamonds, …) through the
# template reader and planner, in one process. Fails on a crash, on a run over 10 s, and on a
# peak RSS over 300 MB; prints `template-fuzz: N passed, M failed` last.
#
# Usage: Benchmarks/template-fuzz/run.sh [RUNS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product TemplateFuzz >/dev/null
"$(swift build -c release --show-bin-path)/TemplateFuzz" --runs "${1:-10000}" --seed "${2:-1}" \
    --time-limit 10 --memory-limit 300 Tests/Fixtures/sam
