// `make bench-cold`'s table: created as template.yaml declares it (keys pk/sk, index gsi1) on
// the DynamoDB API at AWS_ENDPOINT_URL_DYNAMODB (dynalite), with one user's connections and
// accounts. Both functions read these items; the bench checks that both list the same three.
//   node seed.mjs <table> <user>
import {
  CreateTableCommand, DescribeTableCommand, DynamoDBClient, PutItemCommand,
} from "@aws-sdk/client-dynamodb";

const [table, user] = process.argv.slice(2);
if (!table || !user) {
  console.error("usage: node seed.mjs <table> <user>");
  process.exit(2);
}
const dynamo = new DynamoDBClient({});
const S = (v) => ({ S: v });
const N = (v) => ({ N: String(v) });
const attr = (name) => ({ AttributeName: name, AttributeType: "S" });

await dynamo.send(new CreateTableCommand({
  TableName: table,
  AttributeDefinitions: [attr("pk"), attr("sk"), attr("gsi1pk"), attr("gsi1sk")],
  KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }],
  GlobalSecondaryIndexes: [{
    IndexName: "gsi1",
    KeySchema: [{ AttributeName: "gsi1pk", KeyType: "HASH" }, { AttributeName: "gsi1sk", KeyType: "RANGE" }],
    Projection: { ProjectionType: "ALL" },
  }],
  BillingMode: "PAY_PER_REQUEST",
}));
for (let i = 0; ; i++) {
  const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: table }));
  if (Table.TableStatus === "ACTIVE") break;
  if (i === 100) throw new Error(`table ${table} did not become ACTIVE`);
  await new Promise((r) => setTimeout(r, 50));
}

const pk = S(`USER#${user}`);
const t = 1795766400000; // 2026-11-27T08:00:00Z
const connection = (id, status, provider, extra = {}) => ({
  pk, sk: S(`CONN#${id}`), user_id: S(user), connection_id: S(id), status: S(status),
  intent_id: S(`intent-${id}`), provider_id: S(provider), consent_id: S(`consent-${id}`),
  consent_expires_at: N(t + 90 * 86400000), created_at: N(t - 30 * 86400000), updated_at: N(t),
  last_sync_at: N(t - 3600000), last_sync_status: S("ok"), ...extra,
});
const account = (conn, id, provider, currency, product, iban, minor) => ({
  pk, sk: S(`ACCT#${conn}#${id}`), user_id: S(user), connection_id: S(conn), account_id: S(id),
  provider_id: S(provider), currency: S(currency), product_type: S(product),
  description: S(`${product} ${currency}`), holder_name: S("Sara Al-Khalifa"), iban: S(iban),
  last_booking_date: S("2026-11-26"), balance_minor: N(minor), balance_type: S("ClosingAvailable"),
  balance_at: N(t - 3600000), updated_at: N(t),
});
const items = [
  connection("conn-blue", "active", "BLUE"),
  connection("conn-gone", "revoked", "RED", { deleted_at: N(t - 86400000) }),
  connection("conn-old", "reauth_required", "GREEN"),
  account("conn-blue", "acct-bhd", "BLUE", "BHD", "CurrentAccount", "BH67BMAG00001299123456", 1234567),
  account("conn-blue", "acct-sar", "BLUE", "SAR", "Savings", "SA03 8000 0000 6080 1016 7519", -4250),
  account("conn-gone", "acct-gone", "RED", "BHD", "CurrentAccount", "BH02CITI00001077181611", 100),
  account("conn-old", "acct-aed", "GREEN", "AED", "CreditCard", "AE07 0331 2345 6789 0123 456", 99000),
];
for (const Item of items) await dynamo.send(new PutItemCommand({ TableName: table, Item }));
console.error(`seed.mjs: table ${table}: ${items.length} items for ${user}`);
