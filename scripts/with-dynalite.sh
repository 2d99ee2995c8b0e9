#!/usr/bin/env bash
# Runs a command with a fresh dynalite (a DynamoDB API server, npm) on a free loopback port,
# with AWS_ENDPOINT_URL_DYNAMODB and dummy credentials exported, and stops dynalite afterwards,
# even when the command fails. Installs dynalite from the committed lockfile when missing.
#   scripts/with-dynalite.sh cargo test --workspace
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$here/dynalite"

if [ ! -f "$dir/node_modules/dynalite/cli.js" ]; then
  echo "with-dynalite: installing dynalite (npm ci)" >&2
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >&2
fi

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

log="$(mktemp -t dynalite.XXXXXX.log)"
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
  # --host keeps it on loopback; --createTableMs 0 makes new tables ACTIVE at once.
  node "$dir/node_modules/dynalite/cli.js" --host 127.0.0.1 --port "$port" \
    --createTableMs 0 --deleteTableMs 0 --updateTableMs 0 >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    if node -e 'require("http").get(process.argv[1],r=>process.exit(r.statusCode===200?0:1)).on("error",()=>process.exit(1))' \
      "http://127.0.0.1:$port/" 2>/dev/null; then
      ready=1
      break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if [ "${ready:-0}" = 1 ]; then break; fi
  echo "with-dynalite: dynalite did not start on port $port (attempt $attempt):" >&2
  cat "$log" >&2
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
done
if [ "${ready:-0}" != 1 ]; then
  echo "with-dynalite: giving up" >&2
  exit 1
fi

export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_SESSION_TOKEN=local
export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_DEFAULT_REGION="${AWS_REGION:-us-east-1}"
export AWS_EC2_METADATA_DISABLED=true
echo "with-dynalite: DynamoDB API at $AWS_ENDPOINT_URL_DYNAMODB" >&2

set +e
"$@"
status=$?
set -e
exit "$status"
