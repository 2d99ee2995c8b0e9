#!/usr/bin/env bash
# Runs a command with a fresh moto server (local S3 and Secrets Manager APIs, PyPI) on a free
# loopback port, with AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SECRETS_MANAGER and dummy
# credentials exported, and stops moto afterwards, even when the command fails. Creates the two
# local secrets the functions read at init (docs/architecture.md §7.1): finance-local/tarabut-client
# ({"clientSecret": the sandbox's default}) and finance-local/cursor-key; nothing else (each test
# makes its own bucket). Installs the pinned moto (scripts/moto/requirements.txt) into
# .venv-moto on first use and whenever that file changes.
#   scripts/with-moto.sh scripts/with-dynalite.sh cargo test --workspace
# Env: WITH_MOTO_PYTHON (default python3, 3.9+), WITH_MOTO_VENV (default .venv-moto).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requirements="$root/scripts/moto/requirements.txt"
venv="${WITH_MOTO_VENV:-$root/.venv-moto}"
python="${WITH_MOTO_PYTHON:-python3}"

# --- the virtualenv (as scripts/check-template.sh does for its tools) ----------------------
want="$({ cat "$requirements"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
stamp="$venv/.with-moto.sha256"
mkdir -p "$venv"
# Two concurrent runs must not install into one venv at once.
exec 9<"$venv"
if command -v flock >/dev/null; then flock 9; fi
if ! "$venv/bin/python" -c '' 2>/dev/null || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "with-moto: installing the pinned moto server into $venv (once)" >&2
  "$venv/bin/python" -c '' 2>/dev/null || "$python" -m venv --clear "$venv"
  pip_log="$(mktemp -t with-moto-pip.XXXXXX)"
  if ! "$venv/bin/pip" install --disable-pip-version-check --no-input -r "$requirements" >"$pip_log" 2>&1; then
    tail -n 40 "$pip_log" >&2
    rm -f "$pip_log"
    echo "with-moto: pip install -r $requirements failed" >&2
    exit 1
  fi
  rm -f "$pip_log"
  echo "$want" >"$stamp"
fi
exec 9<&-

free_port() {
  "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

log="$(mktemp -t moto.XXXXXX.log)"
pid=""
stop() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -f "$log"
}
trap stop EXIT INT TERM

for attempt in 1 2 3; do
  port="$(free_port)"
  # -H keeps it on loopback (its default is every interface).
  "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 150); do
    if "$venv/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
      "http://127.0.0.1:$port/moto-api/" 2>/dev/null; then
      ready=1
      break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if [ "${ready:-0}" = 1 ]; then break; fi
  echo "with-moto: moto did not start on port $port (attempt $attempt):" >&2
  cat "$log" >&2
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
done
if [ "${ready:-0}" != 1 ]; then
  echo "with-moto: giving up" >&2
  exit 1
fi

export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$port"
export AWS_ENDPOINT_URL_SECRETS_MANAGER="http://127.0.0.1:$port"
# Dummy credentials for the SDK (moto accepts any); not overriding ones already set keeps
# with-dynalite.sh's, whichever wraps the other.
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_DEFAULT_REGION="${AWS_REGION:-us-east-1}"
export AWS_EC2_METADATA_DISABLED=true

# The local secrets: local values, never deployed ones (the sandbox's default client secret).
"$venv/bin/python" - <<'PY'
import os, boto3
sm = boto3.client("secretsmanager", endpoint_url=os.environ["AWS_ENDPOINT_URL_SECRETS_MANAGER"])
sm.create_secret(Name="finance-local/tarabut-client", SecretString='{"clientSecret":"sandbox-secret"}')
sm.create_secret(Name="finance-local/cursor-key", SecretString="local-cursor-key-not-a-secret-0123456789")
PY
echo "with-moto: S3 and Secrets Manager APIs at http://127.0.0.1:$port" >&2

set +e
"$@"
status=$?
set -e
exit "$status"
