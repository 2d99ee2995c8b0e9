# Thin wrappers: each target is one documented command. `make help` lists them.
SHELL := /bin/bash
CARGO ?= cargo
FN ?=
PROFILE ?= release
# Where cargo builds (CARGO_TARGET_DIR when set, as cargo itself reads it).
TARGET_DIR ?= $(or $(CARGO_TARGET_DIR),target)
RUNS ?= 15

.PHONY: help dev test test-rust check-template lint build package deploy smoke bench bench-token bench-insights bench-cold sim mutants invoke clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-16s %s\n", $$1, $$2}'

dev: ## run the whole API on http://127.0.0.1:3000 (embedded store, sandbox bank on :8600, secrets from a local Secrets Manager)
	scripts/with-moto.sh $(CARGO) run -p dev-server

test: test-rust check-template ## every test: the workspace against moto + dynalite + the sandbox, then the template checks

test-rust: ## the workspace's tests with AWS's Lambda emulator, a fresh moto (S3) and dynalite, each on a loopback port
	scripts/with-rie.sh scripts/with-moto.sh scripts/with-dynalite.sh $(CARGO) test --workspace

check-template: ## cfn-lint + sam validate --lint + repository consistency of template.yaml
	scripts/check-template.sh

lint: ## formatting and clippy, as CI checks them
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --workspace --lib --bins -- -D warnings -D clippy::unwrap_used

build: ## release binaries of every function for this host (what `make invoke` runs)
	$(CARGO) build --release --workspace --bins

package: ## what is deployed: every function as an arm64 bootstrap in target/lambda/<fn>/ (cargo-lambda, pinned)
	scripts/package.sh

deploy: package ## make package, then sam deploy --config-env $(ENV) (samconfig.toml): make deploy ENV=dev
	@test -n "$(ENV)" || { echo "usage: make deploy ENV=<dev|prod> [PARAMS='K=V ...']"; exit 2; }
	scripts/deploy.sh $(ENV)

smoke: ## boot every packaged arm64 bootstrap under AWS's Lambda emulator (qemu-user) with its events, and check each answer
	scripts/smoke.sh

bench: bench-token bench-insights bench-cold ## the benchmarks (results recorded in BENCHMARKS.md)

bench-token: ## token coordination across N processes vs. per-process refresh; then under faults
	$(CARGO) build --release -p token-probe
	scripts/with-moto.sh scripts/with-dynalite.sh target/release/token-bench
	target/release/token-faults

bench-cold: ## cold start under AWS's emulator: a Rust function vs its Node.js 20 baseline, interleaved (RUNS=15)
	npm ci --prefix bench/cold-start/node --no-audit --no-fund --loglevel=error
	$(CARGO) build --release -p finance-accounts
	$(CARGO) build --release -p cold-bench
	scripts/with-rie.sh scripts/with-dynalite.sh $(TARGET_DIR)/release/cold-bench \
	  --rust $(TARGET_DIR)/release/finance-accounts --node-dir bench/cold-start/node --runs $(RUNS)

mutants: ## mutation testing of the guard and money modules (hours on 2 cores; not in CI): make mutants GROUPS="engine token"
	scripts/mutants.sh $(GROUPS)

sim: ## the token protocol's simulation over many seeds: make sim SEEDS=100000, or SEED=n to replay one
	SIM_SEEDS=$(or $(SEEDS),100000) $(if $(SEED),SEED=$(SEED)) $(CARGO) test --release -p shared --test token_sim -- --nocapture

bench-insights: ## time and peak memory of each insight at 10k, 100k and 1M transactions
	$(CARGO) run --release -p insights-bench

invoke: ## run a function (host release build) under AWS's Lambda emulator with its event: make invoke FN=insights-salary
	@test -n "$(FN)" || { echo "usage: make invoke FN=<function>"; exit 2; }
	PROFILE=$(PROFILE) scripts/invoke.sh $(FN)

clean: ## remove build output and local tool installs
	$(CARGO) clean
	rm -rf scripts/dynalite/node_modules .venv .venv-moto .tools mutants.out
