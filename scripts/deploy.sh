#!/usr/bin/env bash
# Deploys what `make package` built (target/lambda/<crate>/bootstrap) with the pinned
# aws-sam-cli, using one environment of samconfig.toml:
#   scripts/deploy.sh dev|prod        (make deploy ENV=dev runs make package first)
# Refuses an environment whose parameter_overrides still hold a CHANGE_ME placeholder.
# PARAMS="K=V K2=V2 ..." replaces that environment's parameter_overrides as a whole (sam's own
# rule for a command-line --parameter-overrides), so it must give every required parameter.
# Needs AWS credentials for the target account (the usual AWS_PROFILE etc.).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
env_name="${1:-}"
if [ -z "$env_name" ] || ! grep -q "^\[$env_name\.deploy\.parameters\]$" samconfig.toml; then
  echo "usage: scripts/deploy.sh <environment>   (samconfig.toml has: $(sed -n 's/^\[\([a-z0-9_-]*\)\.deploy\.parameters\]$/\1/p' samconfig.toml | tr '\n' ' '))" >&2
  exit 2
fi
for crate in functions/*/; do
  crate="$(basename "$crate")"
  if [ ! -f "target/lambda/$crate/bootstrap" ]; then
    echo "deploy: target/lambda/$crate/bootstrap is missing; run make package (or make deploy ENV=$env_name)" >&2
    exit 1
  fi
done
overrides=()
if [ -n "${PARAMS:-}" ]; then
  overrides=(--parameter-overrides "$PARAMS")
  placeholders="$(printf '%s\n' "$PARAMS" | grep -o '[A-Za-z]*=[^ ]*CHANGE_ME[^ ]*' || true)"
else
  placeholders="$(awk -v s="[$env_name.deploy.parameters]" '$0 == s {f = 1; next} /^\[/ {f = 0} f' samconfig.toml |
    grep -o '"[A-Za-z]*=[^"]*CHANGE_ME[^"]*"' || true)"
fi
if [ -n "$placeholders" ]; then
  echo "deploy: replace the placeholders of [$env_name] in samconfig.toml (or pass PARAMS=...):" >&2
  printf '  %s\n' $placeholders >&2
  exit 1
fi
# The pinned aws-sam-cli, installed into .venv by the template check's own logic.
CHECK_TEMPLATE_INSTALL_ONLY=1 scripts/check-template.sh
venv="${CHECK_TEMPLATE_VENV:-$root/.venv}"
export SAM_CLI_TELEMETRY=0
exec "$venv/bin/sam" deploy --config-env "$env_name" --template-file template.yaml "${overrides[@]}"
