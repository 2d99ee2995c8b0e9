#!/usr/bin/env bash
# Mutation testing of the modules that carry the product's guards and money (docs/testing.md).
# Not part of CI: on 2 cores a full run takes hours. Installs the pinned cargo-mutants into
# .tools/ on first use, starts dynalite (the token and store tests need it), and runs each
# group of modules with the tests that can notice its mutations.
#
#   scripts/mutants.sh [group ...]     groups: engine token store banking http (default: all)
#   MUTANTS_ARGS="--shard 0/4" scripts/mutants.sh token      extra cargo-mutants arguments
#
# Results land in mutants.out/<group>/mutants.out/ (outcomes.json, caught.txt, missed.txt, ...).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
version="27.1.0"
bin="$root/.tools/bin/cargo-mutants"

if ! "$bin" --version 2>/dev/null | grep -q "$version"; then
  echo "mutants: installing cargo-mutants $version into .tools/ (once; a few minutes)" >&2
  cargo install cargo-mutants --version "$version" --locked --root "$root/.tools"
fi
export PATH="$root/.tools/bin:$PATH"
# Every mutant runs the same property-test cases (a fixed seed), and a failure is not saved to
# proptest-regressions/ in the scratch copy: a saved case is replayed first by every later
# mutant, so one input that breaks the real code would mark all the rest "caught".
export PROPTEST_RNG_SEED="${PROPTEST_RNG_SEED:-20261203}"
export PROPTEST_DISABLE_FAILURE_PERSISTENCE=1

run_group() {
  local group="$1"
  shift
  echo "== mutants: $group" >&2
  local started=$SECONDS
  # A missed mutant is a finding, not a failure of this script: keep going, report at the end.
  mkdir -p "mutants.out/$group"
  cargo mutants --no-shuffle --output "mutants.out/$group" ${MUTANTS_ARGS:-} "$@" || true
  echo "mutants: $group took $((SECONDS - started)) s" >&2
}

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(engine token store banking http)

# `-C` (cargo arguments) names the test targets for the build as well as the run: after `--`
# they would only narrow the run, and every mutant would rebuild all of shared's test binaries.
# The token, store and banking tests talk to dynalite; one instance serves every group.
run_all() {
  for group in "${groups[@]}"; do
    case "$group" in
      engine)
        # The pure engine: its own fixture and property tests (no AWS SDK to build).
        run_group engine --package insights-engine \
          -f shared/insights-engine/src/money.rs -f shared/insights-engine/src/flow.rs \
          -f shared/insights-engine/src/spending.rs -f shared/insights-engine/src/salary.rs
        ;;
      token)
        run_group token --package shared -f 'shared/src/token/**' \
          -C --lib -C --test=token_manager -C --test=token_sim -C --test=metrics
        ;;
      store)
        run_group store --package shared -f 'shared/src/store/**' \
          -C --lib -C --test=store_conformance
        ;;
      banking)
        # Each repository's writes, conditions and items are tested in shared's unit tests on
        # the embedded table; the concurrent guards again on dynalite by the route tests
        # (cron-sync-banks, tarabut-callback), too slow to rebuild per mutant: docs/testing.md.
        run_group banking --package shared -f 'shared/src/banking/**' -C --lib
        ;;
      http)
        # The request reading, error mapping and response shaping are tested in shared's own
        # unit tests (every status, header, body rule and log level); no service needed.
        run_group http --package shared -f 'shared/src/http/**' -C --lib
        ;;
      *)
        echo "mutants: unknown group $group (engine token store banking http)" >&2
        exit 2
        ;;
    esac
  done
}

if [ -z "${AWS_ENDPOINT_URL_DYNAMODB:-}" ]; then
  export -f run_all run_group
  export groups_list="${groups[*]}"
  exec scripts/with-dynalite.sh bash -c 'groups=($groups_list); run_all'
fi
run_all
