#!/usr/bin/env bash
# Runs one function binary under AWS's Lambda Runtime Interface Emulator (driven by
# tools/invoke) with its events/<fn>.json: `sam local invoke` without Docker or AWS. It builds
# the function, starts a fresh dynalite (scripts/with-dynalite.sh) with the table created, and
# the Tarabut sandbox on a free loopback port, points the function at both, prints the response on stdout (function
# logs and timings on stderr), and stops everything on exit.
#
#   scripts/invoke.sh tarabut-connect                  # release build (what `make invoke` runs)
#   PROFILE=debug scripts/invoke.sh finance-connections
#   EVENT=events/negative/tarabut-sync.no-claims.json scripts/invoke.sh tarabut-sync
#   RUNS=5 scripts/invoke.sh insights-salary           # five cold starts (five processes)
#
# The table starts empty, so fixtures naming a connection (tarabut-sync, the delete) answer
# 404 and the callback's unknown intent a 302 with status=error: as with `sam local invoke`,
# the point is the real binary, its configuration and its answer. Exit status is invoke's:
# 0 a response, 1 a function error, 2 no result (init error, timeout, bad arguments).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
fn="${1:-}"

if [ -z "$fn" ] || [ ! -f "$root/functions/$fn/Cargo.toml" ]; then
  echo "usage: scripts/invoke.sh <function>   (PROFILE=release|debug, EVENT=<file>)" >&2
  echo "functions: $(cd "$root/functions" && ls -d -- */ | tr -d / | tr '\n' ' ')" >&2
  exit 2
fi

# A fresh moto (with-moto.sh): the Secrets Manager every function that calls Tarabut (and the
# transaction list) reads its secret from at init, and the export's S3, with the bucket
# events/env.json names created in it below.
if [ "${INVOKE_SH_UNDER_MOTO:-}" != 1 ]; then
  export INVOKE_SH_UNDER_MOTO=1
  exec "$here/with-moto.sh" "$0" "$@"
fi
# AWS's emulator, from the pinned aws-sam-cli install (with-rie.sh exports INVOKE_EMULATOR).
if [ -z "${INVOKE_EMULATOR:-}" ]; then
  exec "$here/with-rie.sh" "$0" "$@"
fi
# A fresh dynalite for this run (with-dynalite.sh exports AWS_ENDPOINT_URL_DYNAMODB and dummy
# credentials, and stops it when this script ends).
if [ "${INVOKE_SH_UNDER_DYNALITE:-}" != 1 ]; then
  export INVOKE_SH_UNDER_DYNALITE=1
  exec "$here/with-dynalite.sh" "$0" "$@"
fi

cargo="${CARGO:-cargo}"
profile="${PROFILE:-release}"
event="${EVENT:-$root/events/$fn.json}"
env_file="$root/events/env.json"
target="${CARGO_TARGET_DIR:-$root/target}"
case "$profile" in
  release) build_flags=(--release) ;;
  debug | dev) build_flags=() profile=debug ;;
  *) build_flags=(--profile "$profile") ;;
esac

cd "$root"
echo "invoke.sh: building $fn ($profile)" >&2
"$cargo" build --quiet "${build_flags[@]}" -p "$fn"
# The sandbox and the tool in debug: they only serve this one run.
"$cargo" build --quiet -p tarabut-sandbox -p invoke

# One value of the env file's Parameters (the table name and redirect URL the function gets).
param() {
  node -e 'const p=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).Parameters||{};
           if(!(process.argv[2] in p)){process.exit(1)} console.log(p[process.argv[2]])' \
    "$env_file" "$1"
}
table="$(param TABLE_NAME)"
redirect_url="$(param TARABUT_REDIRECT_URL)"

work="$(mktemp -d -t invoke-sh.XXXXXX)"
sandbox_pid=""
stop() {
  if [ -n "$sandbox_pid" ]; then
    kill "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop EXIT INT TERM

# The sandbox on a free port; its first stdout line says where.
"$target/debug/tarabut-sandbox" --port 0 --redirect-url "$redirect_url" \
  >"$work/sandbox.out" 2>"$work/sandbox.log" &
sandbox_pid=$!
sandbox=""
for _ in $(seq 1 100); do
  line="$(head -n 1 "$work/sandbox.out" 2>/dev/null || true)"
  if [[ "$line" == "tarabut-sandbox listening on http://127.0.0.1:"* ]]; then
    sandbox="${line#tarabut-sandbox listening on }"
    break
  fi
  if ! kill -0 "$sandbox_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ -z "$sandbox" ]; then
  echo "invoke.sh: the sandbox did not start:" >&2
  cat "$work/sandbox.log" >&2
  exit 2
fi
echo "invoke.sh: Tarabut sandbox at $sandbox" >&2

# The table, as template.yaml declares it (keys pk/sk, sparse index gsi1), through DynamoDB's
# JSON API. dynalite wants a SigV4-shaped Authorization header but does not check signatures.
node - "$AWS_ENDPOINT_URL_DYNAMODB" "$table" <<'JS'
const http = require("http");
const [endpoint, table] = process.argv.slice(2);
function call(operation, body) {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const date = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
    const req = http.request(endpoint + "/", {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810." + operation,
        "X-Amz-Date": date,
        Authorization: "AWS4-HMAC-SHA256 Credential=local/" + date.slice(0, 8) +
          "/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0",
        "Content-Length": Buffer.byteLength(payload),
      },
    }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => res.statusCode === 200
        ? resolve(JSON.parse(text))
        : reject(new Error(operation + ": " + res.statusCode + " " + text)));
    });
    req.on("error", reject);
    req.end(payload);
  });
}
const S = (name) => ({ AttributeName: name, AttributeType: "S" });
(async () => {
  await call("CreateTable", {
    TableName: table,
    AttributeDefinitions: [S("pk"), S("sk"), S("gsi1pk"), S("gsi1sk")],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }],
    GlobalSecondaryIndexes: [{
      IndexName: "gsi1",
      KeySchema: [{ AttributeName: "gsi1pk", KeyType: "HASH" }, { AttributeName: "gsi1sk", KeyType: "RANGE" }],
      Projection: { ProjectionType: "ALL" },
    }],
    BillingMode: "PAY_PER_REQUEST",
  });
  for (let i = 0; i < 100; i++) {
    const { Table } = await call("DescribeTable", { TableName: table });
    if (Table.TableStatus === "ACTIVE") return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("table " + table + " did not become ACTIVE");
})().catch((e) => { console.error("invoke.sh: creating the table: " + e.message); process.exit(2); });
JS
echo "invoke.sh: table $table on $AWS_ENDPOINT_URL_DYNAMODB" >&2

s3_env=()
if [ -n "${AWS_ENDPOINT_URL_S3:-}" ]; then
  bucket="$(node -e 'const e=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
                     console.log((e.FinanceExportFunction||{}).EXPORT_BUCKET||"finance-exports-local")' "$env_file")"
  # moto creates a bucket on an unsigned PUT /<bucket>.
  node -e 'require("http").request(process.argv[1], {method: "PUT"}, (r) => process.exit(r.statusCode === 200 ? 0 : 1))
             .on("error", () => process.exit(1)).end()' "$AWS_ENDPOINT_URL_S3/$bucket"
  echo "invoke.sh: bucket $bucket on $AWS_ENDPOINT_URL_S3" >&2
  s3_env=(--env "AWS_ENDPOINT_URL_S3=$AWS_ENDPOINT_URL_S3")
fi

set +e
status=0
for _ in $(seq 1 "${RUNS:-1}"); do
  "$target/debug/invoke" \
    --bin "$target/$profile/$fn" \
    --event "$event" \
    --env-file "$env_file" \
    --env "TABLE_NAME=$table" \
    --env "TARABUT_BASE_URL=$sandbox" \
    --env "TARABUT_TOKEN_URL=$sandbox/oauth/token" \
    --env "TARABUT_REDIRECT_URL=$redirect_url" \
    --env "AWS_ENDPOINT_URL_DYNAMODB=$AWS_ENDPOINT_URL_DYNAMODB" \
    --env "AWS_ENDPOINT_URL_SECRETS_MANAGER=$AWS_ENDPOINT_URL_SECRETS_MANAGER" \
    ${s3_env[@]+"${s3_env[@]}"} \
    --emulator "$INVOKE_EMULATOR" \
    --timeout-secs "${TIMEOUT_SECS:-30}" || status=$?
done
set -e
exit "$status"
