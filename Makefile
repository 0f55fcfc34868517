# Every target runs from a fresh clone: tools are installed into .local/ on first use.
.PHONY: dev test token keys tools validate-config lint fmt check-template build load fuzz-api bench console screenshots

COMPANY ?= -1

dev: ## Local stack: DynamoDB Local on :8000, the functions on http://127.0.0.1:9000
	@bash scripts/dev.sh

console: ## The operators' console: type-checked and bundled into console/dist/ (make dev serves it on :9001)
	@bash scripts/build-console.sh

screenshots: ## The console's screens at 390 and 1440 px into docs/console/ (its browser test on a stack of its own)
	@bash scripts/screenshots.sh

test: ## Unit, DynamoDB Local and black-box HTTP tests, lints
	@bash scripts/test.sh

token: ## A bearer token the local stack accepts: make token COMPANY=-1 (last line, alone)
	@bash -c 'source scripts/lib.sh && ensure_keys'
	@cargo run --quiet -p idp-admin -- token --company="$(COMPANY)"

keys: ## The local token signing key pair, in .local/
	@bash -c 'source scripts/lib.sh && ensure_keys'

tools: ## Install the pinned local tools into .local/
	@bash scripts/install-tools.sh

validate-config: ## Validate every company configuration under config/
	@cargo run --quiet -p idp-admin -- validate config/companies/*.yaml

check-template: ## cfn-lint (with serverless rules), sam validate --lint, checkov
	@bash scripts/install-tools.sh
	@bash scripts/check-template.sh

build: ## sam build: every function for arm64 (provided.al2023) through cargo-lambda
	@bash scripts/install-tools.sh
	@PATH="$(CURDIR)/.local/venv/bin:$$PATH" SAM_CLI_TELEMETRY=0 .local/venv-sam/bin/sam build --template template.yaml
	@bash scripts/package-sizes.sh

load: ## Bounded load test on loopback with wrk (creates, then logins): make load SECONDS=20 CONNECTIONS=8
	@bash scripts/load-test.sh $(or $(SECONDS),20) $(or $(CONNECTIONS),8)

bench: ## Performance harness: cold starts, hash vs C reference, round trips, handler overhead, login throughput, sizes -> docs/benchmarks.md
	@bash scripts/bench.sh

fuzz-api: ## API fuzzing from openapi.yaml with schemathesis (all phases; about 15 min). --quick: about 2 min
	@bash scripts/fuzz-api.sh

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all
