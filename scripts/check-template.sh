#!/usr/bin/env bash
# Checks template.yaml, offline, with zero errors and zero warnings allowed:
#   1. the tests of scripts/template/check_template.py (it catches what it should),
#   2. check_template.py: what the linters miss (HTTP timeouts, the JWT issuer, BuildMethod,
#      routes, per-function permissions, crates, events/ and variables against the repo),
#   3. cfn-lint (runs the real SAM transform),
#   4. sam validate --lint.
# The pinned tools (scripts/template/requirements.txt) go into .venv on first use and again
# whenever that file changes. No AWS account is used: dummy credentials, no network but PyPI.
#   scripts/check-template.sh
# Env: CHECK_TEMPLATE_REGION (default me-central-1, samconfig.toml's), CHECK_TEMPLATE_PYTHON (default python3, 3.10+),
#      CHECK_TEMPLATE_VENV (default .venv), CHECK_TEMPLATE_INSTALL_ONLY=1 (install, then stop).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
requirements="scripts/template/requirements.txt"
venv="${CHECK_TEMPLATE_VENV:-$root/.venv}"
python="${CHECK_TEMPLATE_PYTHON:-python3}"
started=$SECONDS

# --- the virtualenv ------------------------------------------------------------------------
# The stamp covers the requirements and the interpreter, so either changing reinstalls.
want="$({ cat "$requirements"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
stamp="$venv/.check-template.sha256"
mkdir -p "$venv"
# Two concurrent runs must not install into one venv at once.
exec 9<"$venv"
if command -v flock >/dev/null; then flock 9; fi
if ! "$venv/bin/python" -c '' 2>/dev/null || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || {
    echo "check-template: $python is older than 3.10 (aws-sam-cli 1.170 needs 3.10+)" >&2
    exit 1
  }
  echo "check-template: installing the pinned aws-sam-cli and cfn-lint into $venv (once)" >&2
  "$venv/bin/python" -c '' 2>/dev/null || "$python" -m venv --clear "$venv"
  log="$(mktemp -t check-template-pip.XXXXXX)"
  if ! "$venv/bin/pip" install --disable-pip-version-check --no-input -r "$requirements" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    rm -f "$log"
    echo "check-template: pip install -r $requirements failed" >&2
    exit 1
  fi
  rm -f "$log"
  echo "$want" >"$stamp"
  echo "check-template: tools installed in $((SECONDS - started)) s" >&2
fi
exec 9<&-
# scripts/with-rie.sh only wants the venv (AWS's Runtime Interface Emulator ships in aws-sam-cli).
if [ "${CHECK_TEMPLATE_INSTALL_ONLY:-}" = 1 ]; then exit 0; fi

# --- an offline, account-free environment for the AWS tools ---------------------------------
region="${CHECK_TEMPLATE_REGION:-me-central-1}"
export SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION="$region" AWS_REGION="$region"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_PROFILE

passed=0
failed=()
step() {
  local name="$1"
  shift
  local t0=$SECONDS
  echo "check-template: $name"
  if "$@"; then
    passed=$((passed + 1))
    echo "check-template: $name ok ($((SECONDS - t0)) s)"
  else
    failed+=("$name")
    echo "check-template: $name FAILED" >&2
  fi
}

# No __pycache__ beside the checker in the work tree.
step "check_template.py tests" env PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -m unittest discover -q -s scripts/template -p 'test_*.py'
step "check_template.py" env PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" scripts/template/check_template.py --repo "$root"
# Any finding fails, warnings included (exit 4); a warning that must stay is suppressed in the
# template with a comment saying why.
step "cfn-lint" "$venv/bin/cfn-lint" --regions "$region" -- template.yaml
step "sam validate --lint" "$venv/bin/sam" validate --lint --template template.yaml

echo "check-template: took $((SECONDS - started)) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "check-template: failed: ${failed[*]}" >&2
fi
echo "check-template: $passed passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
