// GET /finance/accounts in Node.js 20 with the AWS SDK v3: the baseline of `make bench-cold`.
// It sends DynamoDB the same requests as the Rust function (functions/finance-accounts,
// shared/src/accounts.rs, erasure.rs, audit/repo.rs): a consistent Query of the caller's
// connections (CONN#), a consistent Query of the caller's accounts (ACCT#), then a PutItem of
// the audit record; it keeps the accounts of live connections and answers the same JSON.
// The client is built at init, as a Lambda handler module would.
import { randomUUID } from "node:crypto";
import { DynamoDBClient, PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";

const TABLE = process.env.TABLE_NAME;
const AUDIT_RETENTION_DAYS = Number(process.env.AUDIT_RETENTION_DAYS ?? "1826");
// Region, credentials and AWS_ENDPOINT_URL_DYNAMODB from the environment, like the Rust SDK.
const dynamo = new DynamoDBClient({});

const SHOWN = new Set(["active", "reauth_required", "expired"]);
const EXPONENT = { BHD: 3, KWD: 3, OMR: 3, JOD: 3, IQD: 3, TND: 3, LYD: 3, JPY: 0, KRW: 0 };

async function queryAll(pk, prefix) {
  const items = [];
  let start;
  do {
    const out = await dynamo.send(new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
      ExpressionAttributeNames: { "#pk": "pk", "#sk": "sk" },
      ExpressionAttributeValues: { ":pk": { S: pk }, ":prefix": { S: prefix } },
      ConsistentRead: true,
      ExclusiveStartKey: start,
    }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

const s = (item, name) => item[name]?.S ?? null;
const n = (item, name) => (item[name]?.N === undefined ? null : BigInt(item[name].N));

function amount(minor, currency) {
  const exp = EXPONENT[currency] ?? 2;
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exp + 1, "0");
  const whole = digits.slice(0, digits.length - exp);
  const frac = exp ? "." + digits.slice(digits.length - exp) : "";
  return (negative ? "-" : "") + whole + frac;
}

function maskIban(iban) {
  const chars = [...iban].filter((c) => !/\s/.test(c));
  return ("•••• " + (chars.length > 4 ? chars.slice(-4).join("") : "")).trimEnd();
}

function reply(statusCode, body) {
  return {
    statusCode,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

export async function handler(event) {
  const user = event?.requestContext?.authorizer?.jwt?.claims?.sub;
  if (!user) return reply(401, { title: "Unauthorized", status: 401 });
  const pk = `USER#${user}`;
  const live = new Set(
    (await queryAll(pk, "CONN#"))
      .filter((c) => !c.deleted_at && SHOWN.has(s(c, "status")))
      .map((c) => s(c, "connection_id")),
  );
  const accounts = (await queryAll(pk, "ACCT#"))
    .filter((a) => live.has(s(a, "connection_id")))
    .map((a) => {
      const currency = s(a, "currency");
      const minor = n(a, "balance_minor");
      const at = n(a, "balance_at");
      return {
        accountId: s(a, "account_id"),
        connectionId: s(a, "connection_id"),
        providerId: s(a, "provider_id"),
        productType: s(a, "product_type"),
        currency,
        maskedIban: s(a, "iban") === null ? null : maskIban(s(a, "iban")),
        holderName: s(a, "holder_name"),
        balance: minor === null ? null : { amount: amount(minor, currency), currency },
        balanceAt: at === null ? null : new Date(Number(at)).toISOString(),
        balanceType: s(a, "balance_type"),
      };
    });
  const now = Date.now();
  const item = {
    pk: { S: `USER#${user}#AUDIT` },
    sk: { S: `${String(now).padStart(13, "0")}#${randomUUID().replaceAll("-", "")}` },
    user_id: { S: user },
    action: { S: "accounts.list" },
    at: { N: String(now) },
    expires_at_s: { N: String(Math.floor(now / 1000) + AUDIT_RETENTION_DAYS * 86400) },
  };
  if (event?.requestContext?.requestId) item.request_id = { S: event.requestContext.requestId };
  await dynamo.send(new PutItemCommand({ TableName: TABLE, Item: item }));
  return reply(200, { accounts });
}
