// A minimal Lambda Runtime API client for index.mjs: what the nodejs20.x runtime's client
// does on the happy path, so the emulator can run the Node baseline of `make bench-cold`.
// (aws-lambda-ric, AWS's npm client, does not install here: 4.x wants Node >= 22, and every
// version compiles curl and aws-lambda-cpp with cmake and autotools at install, which these
// machines lack. See BENCHMARKS.md.) Plain node:http with a keep-alive socket, loaded with
// Node itself: it adds less to the init than fetch (undici, loaded on first use) would.
import http from "node:http";

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const BASE = "/2018-06-01/runtime";

function call(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port, method, path: BASE + path, agent, headers },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function errorBody(e) {
  return JSON.stringify({
    errorType: e?.name ?? "Error",
    errorMessage: e?.message ?? String(e),
    stackTrace: String(e?.stack ?? "").split("\n"),
  });
}

let handler;
try {
  ({ handler } = await import(process.env.BENCH_HANDLER_MODULE ?? "./index.mjs"));
} catch (e) {
  await call("POST", "/init/error", errorBody(e), { "Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError" });
  process.exit(1);
}

for (;;) {
  const next = await call("GET", "/invocation/next");
  const id = next.headers["lambda-runtime-aws-request-id"];
  if (next.headers["lambda-runtime-trace-id"]) process.env._X_AMZN_TRACE_ID = next.headers["lambda-runtime-trace-id"];
  const context = {
    awsRequestId: id,
    invokedFunctionArn: next.headers["lambda-runtime-invoked-function-arn"],
    getRemainingTimeInMillis: () => Number(next.headers["lambda-runtime-deadline-ms"]) - Date.now(),
  };
  try {
    const result = await handler(JSON.parse(next.body), context);
    await call("POST", `/invocation/${id}/response`, JSON.stringify(result ?? null));
  } catch (e) {
    await call("POST", `/invocation/${id}/error`, errorBody(e), { "Lambda-Runtime-Function-Error-Type": "Runtime.UnhandledError" });
  }
}
