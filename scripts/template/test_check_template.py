"""Tests of check_template.py: the real template passes on a repository with all its crates,
and each planted mistake (the kinds the linters miss) is reported.

    python3 -m unittest discover -s scripts/template -p 'test_*.py'
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import check_template as ct  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CRATES = sorted(set(ct.HTTP_ROUTES) | ct.SCHEDULED)
#: What the checker reads from the code; copied as they are (config.rs: see Fixture).
CODE_FILES = ["shared/src/config.rs", "shared/src/store/mod.rs", "shared/src/store/item.rs"]
#: How the role policies name the table (its ARN from its fixed name; check_template.table_arn).
TABLE_RES = 'Resource: !Sub "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${AWS::StackName}-finance"'
#: events/env.json as the template's contract wants it (issue 11): "Parameters" for every
#: function that declares the key, the export function's own section. Written here rather than
#: copied, so these tests check the checker; the real file is checked by check-template.sh.
ENV_JSON = {
    "Parameters": {
        "TABLE_NAME": "finance-local",
        "TARABUT_BASE_URL": "http://127.0.0.1:8600",
        "TARABUT_TOKEN_URL": "http://127.0.0.1:8600/oauth/token",
        "TARABUT_CLIENT_ID": "sandbox-client",
        "TARABUT_REDIRECT_URL": "http://127.0.0.1:3000/tarabut/callback",
        "APP_REDIRECT_URL": "http://127.0.0.1:3000/app/linked",
        "TOKEN_REFRESH_BUFFER_SECS": "300",
        "TOKEN_MIN_VALIDITY_SECS": "30",
        "TOKEN_LEASE_SECS": "10",
        "SYNC_CONCURRENCY": "32",
        "USER_SYNC_MIN_INTERVAL_SECS": "60",
        "AUDIT_RETENTION_DAYS": "1826",
        "RETENTION_DAYS": "731",
        "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:5001",
        "TARABUT_SECRET_ARN": "arn:aws:secretsmanager:me-central-1:123456789012:secret:tarabut/client-AbCdEf",
        "CURSOR_KEY_SECRET_ARN": "arn:aws:secretsmanager:me-central-1:123456789012:secret:finance-local/cursor-key-AbCdEf",
    },
    "FinanceExportFunction": {
        "EXPORT_BUCKET": "finance-exports-local",
        "EXPORT_URL_TTL_SECS": "300",
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:5000",
    },
}


def http_event(method: str, path: str) -> dict:
    raw = path.replace("{id}", "0d6f4a52-3c1e-4b8a-9f1e-2b7c9d1a5e33")
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": raw,
        "rawQueryString": "",
        "headers": {},
        "requestContext": {"http": {"method": method, "path": raw}, "stage": "$default"},
        "isBase64Encoded": False,
    }


class Fixture:
    """A copy of what the checker reads, with every crate of docs/architecture.md §2.3 present."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="check-template-"))
        shutil.copy(REPO / "template.yaml", self.dir / "template.yaml")
        for rel in CODE_FILES:
            (self.dir / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO / rel, self.dir / rel)
        (self.dir / "events").mkdir()
        self.write("events/env.json", json.dumps(ENV_JSON))
        for crate in CRATES:
            self.add_crate(crate)
            real = REPO / "events" / f"{crate}.json"
            if real.is_file():
                shutil.copy(real, self.dir / "events" / real.name)
            elif crate in ct.HTTP_ROUTES:
                self.write(f"events/{crate}.json", json.dumps(http_event(*ct.HTTP_ROUTES[crate])))
            else:
                self.write(f"events/{crate}.json", json.dumps({"source": "aws.events", "detail-type": "Scheduled Event"}))

    def add_crate(self, crate: str, package: str | None = None) -> None:
        self.write(f"functions/{crate}/Cargo.toml", f'[package]\nname = "{package or crate}"\nversion = "0.1.0"\n')
        # Its sources: the path parameters its handler reads (check_routes), the secrets its
        # main.rs reads at init (check_secret_access).
        src = REPO / "functions" / crate / "src"
        for f in sorted(src.rglob("*.rs")) if src.is_dir() else []:
            self.write(f"functions/{crate}/{f.relative_to(src.parent)}", f.read_text(encoding="utf-8"))

    def write(self, rel: str, text: str) -> None:
        path = self.dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def edit(self, rel: str, old: str, new: str, count: int = 1) -> None:
        path = self.dir / rel
        text = path.read_text(encoding="utf-8")
        if old not in text:
            raise AssertionError(f"mutation target not in {rel}: {old!r} (update this test with the template)")
        path.write_text(text.replace(old, new, count), encoding="utf-8")

    def failures(self) -> list[str]:
        return ct.Checker(self.dir).run().failures

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class CheckTemplateTest(unittest.TestCase):
    def setUp(self) -> None:
        self.fx = Fixture()
        self.addCleanup(self.fx.close)

    def assertReported(self, fragment: str) -> None:
        failures = self.fx.failures()
        self.assertTrue(any(fragment in f for f in failures), f"expected a failure with {fragment!r}, got {failures}")

    def test_the_template_passes_with_all_crates(self):
        self.assertEqual(self.fx.failures(), [])

    # -- what toolchain.md says the linters miss

    def test_http_timeout_over_api_gateway_limit(self):
        self.fx.edit("template.yaml", "    Timeout: 29\n", "    Timeout: 1000\n")
        self.assertReported("timeouts: TarabutConnectFunction: Timeout 1000 s is outside 1..29")

    def test_missing_jwt_issuer(self):
        self.fx.edit("template.yaml", "              issuer: !Ref JwtIssuer\n", "")
        self.assertReported("has no JwtConfiguration.issuer")

    def test_build_method_typo(self):
        self.fx.edit(
            "template.yaml",
            "      CodeUri: target/lambda/tarabut-sync/\n",
            "      CodeUri: .\n    Metadata:\n      BuildMethod: rust-cargolamda\n      BuildProperties:\n        Binary: tarabut-sync\n",
        )
        self.assertReported("BuildMethod 'rust-cargolamda' is not 'rust-cargolambda'")

    def test_cron_timeout_not_longer_than_http(self):
        self.fx.edit("template.yaml", "      Timeout: 300\n", "      Timeout: 20\n")
        self.assertReported("the scheduled sync's Timeout (20 s) should exceed")

    # -- functions and crates

    def test_crate_without_function(self):
        self.fx.add_crate("finance-statements")
        self.assertReported("functions/finance-statements has no Function")

    def test_function_naming_a_missing_crate(self):
        self.fx.edit("template.yaml", "CodeUri: target/lambda/tarabut-sync/", "CodeUri: target/lambda/tarabut-snyc/")
        self.assertReported("functions/tarabut-snyc/Cargo.toml does not exist")

    def test_logical_id_not_matching_crate(self):
        self.fx.edit("template.yaml", "  TarabutSyncFunction:\n", "  TarabutSyncFn:\n")
        self.assertReported("its logical id must be TarabutSyncFunction")

    def test_package_name_differs_from_directory(self):
        self.fx.add_crate("tarabut-sync", package="tarabut_sync")
        self.assertReported("package name is 'tarabut_sync'")

    def test_crate_built_twice(self):
        self.fx.edit("template.yaml", "CodeUri: target/lambda/insights-income/", "CodeUri: target/lambda/insights-salary/")
        self.assertReported("crate 'insights-salary' is built by 2 functions")

    def test_architecture_added_on_a_function_concatenates(self):
        self.fx.edit("template.yaml", "      CodeUri: target/lambda/tarabut-sync/\n",
                     "      CodeUri: target/lambda/tarabut-sync/\n      Architectures: [x86_64]\n")
        self.assertReported("TarabutSyncFunction: Architectures ['arm64', 'x86_64']")

    def test_wrong_architecture(self):
        self.fx.edit("template.yaml", "Architectures: [arm64]", "Architectures: [x86_64]")
        self.assertReported("Architectures ['x86_64'], expected ['arm64']")

    # -- routes and auth

    def test_route_path_typo(self):
        self.fx.edit("template.yaml", "Path: /finance/refresh-balances", "Path: /finance/refresh-balance")
        self.assertReported("expected exactly POST /finance/refresh-balances")

    def test_route_wrong_method(self):
        self.fx.edit("template.yaml", "Method: DELETE", "Method: POST")
        self.assertReported("expected exactly DELETE /finance/connections/{id}")

    def test_path_parameter_the_handler_does_not_read(self):
        self.fx.write("functions/finance-connection-delete/src/lib.rs", 'let id = http::path_param(&req, "connectionId");\n')
        self.assertReported("route parameter {id} is never read by functions/finance-connection-delete/src")

    def test_path_parameter_the_handler_reads(self):
        self.fx.write("functions/finance-connection-delete/src/lib.rs", 'let id = http::path_param(&req, "id");\n')
        self.assertEqual(self.fx.failures(), [])

    def test_callback_behind_the_authorizer(self):
        self.fx.edit("template.yaml", "            Auth:\n              Authorizer: NONE\n", "")
        self.assertReported("the Tarabut callback must say Auth: {Authorizer: NONE}")

    def test_another_route_made_public(self):
        self.fx.edit(
            "template.yaml",
            "            Path: /finance/connections\n",
            "            Path: /finance/connections\n            Auth:\n              Authorizer: NONE\n",
        )
        self.assertReported("FinanceConnectionsFunction.Api: Authorizer 'NONE'")

    def test_no_default_authorizer(self):
        self.fx.edit("template.yaml", "        DefaultAuthorizer: AppJwt\n", "")
        self.assertReported("no Auth.DefaultAuthorizer")

    def test_named_stage(self):
        self.fx.edit("template.yaml", "StageName: $default", "StageName: prod")
        self.assertReported("StageName 'prod'")

    # -- permissions

    def test_extra_action(self):
        self.fx.edit("template.yaml", "Action: [dynamodb:Query]\n              " + TABLE_RES,
                     "Action: [dynamodb:Query, dynamodb:DeleteItem]\n              " + TABLE_RES)
        self.assertReported("FinanceConnectionsFunction: table grants ['dynamodb:DeleteItem']")

    def test_missing_action(self):
        self.fx.edit("template.yaml", "[dynamodb:GetItem, dynamodb:UpdateItem, dynamodb:PutItem, dynamodb:Query, dynamodb:DeleteItem]",
                     "[dynamodb:GetItem, dynamodb:UpdateItem, dynamodb:Query, dynamodb:DeleteItem]")
        self.assertReported("TarabutConnectFunction: table lacks ['dynamodb:PutItem']")

    def test_broad_policy_template(self):
        self.fx.edit(
            "template.yaml",
            "      Policies:\n        - Version: \"2012-10-17\"\n          Statement:\n            - Effect: Allow\n              Action: [dynamodb:Query]\n              " + TABLE_RES + "\n",
            "      Policies:\n        - DynamoDBCrudPolicy:\n            TableName: !Ref Table\n",
        )
        self.assertReported("is not an explicit statement")

    def test_index_granted_to_a_function_that_does_not_query_it(self):
        self.fx.edit(
            "template.yaml",
            "      Policies:\n        - Version: \"2012-10-17\"\n          Statement:\n            - Effect: Allow\n              Action: [dynamodb:Query]\n              " + TABLE_RES + "\n",
            "      Policies:\n        - Version: \"2012-10-17\"\n          Statement:\n            - Effect: Allow\n              Action: [dynamodb:Query]\n              Resource:\n                - !Sub \"arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${AWS::StackName}-finance\"\n                - !Sub \"arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${AWS::StackName}-finance/index/gsi1\"\n",
        )
        self.assertReported("FinanceConnectionsFunction: index gsi1 grants ['dynamodb:Query']")

    def test_wildcard_resource(self):
        self.fx.edit("template.yaml", "Action: [dynamodb:Query]\n              " + TABLE_RES,
                     "Action: [dynamodb:Query]\n              Resource: '*'")
        self.assertReported("resource '*'")

    # -- environment and secret

    # -- the export bucket

    def test_s3_action_on_the_whole_bucket(self):
        self.fx.edit("template.yaml", "Resource: !Sub ${ExportBucket.Arn}/exports/*", "Resource: !Sub ${ExportBucket.Arn}/*")
        self.assertReported("s3: actions only on ${ExportBucket.Arn}/exports/*")

    def test_s3_action_the_code_never_calls(self):
        self.fx.edit("template.yaml", "Action: [s3:PutObject, s3:GetObject]", "Action: [s3:PutObject, s3:GetObject, s3:DeleteObject]")
        self.assertReported("grants ['s3:DeleteObject'] that its code never calls")

    def test_presigned_get_without_get_object(self):
        self.fx.edit("template.yaml", "Action: [s3:PutObject, s3:GetObject]", "Action: [s3:PutObject]")
        self.assertReported("lacks ['s3:GetObject']")

    def test_export_bucket_public_acls_allowed(self):
        self.fx.edit("template.yaml", "        BlockPublicAcls: true\n", "        BlockPublicAcls: false\n")
        self.assertReported("PublicAccessBlockConfiguration.BlockPublicAcls must be true")

    def test_export_bucket_objects_kept(self):
        self.fx.edit("template.yaml", "            ExpirationInDays: 1\n", "            ExpirationInDays: 30\n")
        self.assertReported("a lifecycle rule must delete every object after 1 day")

    def test_export_bucket_without_tls_only_policy(self):
        self.fx.edit("template.yaml", 'aws:SecureTransport: "false"', 'aws:SecureTransport: "true"')
        self.assertReported("must deny requests without TLS")

    def test_export_bucket_with_acls(self):
        self.fx.edit("template.yaml", "ObjectOwnership: BucketOwnerEnforced", "ObjectOwnership: ObjectWriter")
        self.assertReported("OwnershipControls must be BucketOwnerEnforced")

    def test_export_function_without_its_bucket(self):
        self.fx.edit("template.yaml", "          EXPORT_BUCKET: !Ref ExportBucket\n", "")
        self.assertReported("FinanceExportFunction: EXPORT_BUCKET must be !Ref ExportBucket")

    def test_required_variable_missing(self):
        self.fx.edit("template.yaml", "        TABLE_NAME: !Ref Table\n", "")
        self.assertReported("TABLE_NAME is not set")

    def test_variable_typo(self):
        self.fx.edit("template.yaml", "        SYNC_CONCURRENCY: !Ref SyncConcurrency\n",
                     "        SYNC_CONCURENCY: !Ref SyncConcurrency\n")
        self.assertReported("SYNC_CONCURENCY is not read by shared/src/config.rs")

    def test_reserved_variable(self):
        self.fx.edit("template.yaml", "        SYNC_CONCURRENCY: !Ref SyncConcurrency\n",
                     "        SYNC_CONCURRENCY: !Ref SyncConcurrency\n        AWS_LAMBDA_LOG_FORMAT: JSON\n")
        self.assertReported("AWS_LAMBDA_LOG_FORMAT is reserved by Lambda")

    # -- no secret in an environment (issue 11 §2)

    def test_client_secret_in_globals(self):
        self.fx.edit("template.yaml", "        RETENTION_DAYS: !Ref RetentionDays\n",
                     "        RETENTION_DAYS: !Ref RetentionDays\n"
                     "        TARABUT_CLIENT_SECRET: !Sub \"{{resolve:secretsmanager:${TarabutSecretArn}:SecretString:clientSecret}}\"\n")
        self.assertReported("secret: TarabutConnectFunction: TARABUT_CLIENT_SECRET resolves a secret into the environment")

    def test_literal_secret_under_a_secret_name(self):
        self.fx.edit("template.yaml", "        RETENTION_DAYS: !Ref RetentionDays\n",
                     "        RETENTION_DAYS: !Ref RetentionDays\n        CURSOR_HMAC_KEY: 0123456789abcdef0123456789abcdef\n")
        self.assertReported("CURSOR_HMAC_KEY looks like a secret in the environment")

    def test_ssm_secure_reference_under_any_name(self):
        self.fx.edit("template.yaml", "        RETENTION_DAYS: !Ref RetentionDays\n",
                     "        RETENTION_DAYS: !Ref RetentionDays\n        TARABUT_CLIENT: '{{resolve:ssm-secure:/tarabut/client}}'\n")
        self.assertReported("TARABUT_CLIENT resolves a secret into the environment")

    def test_names_that_are_not_secrets(self):
        for name in ("TARABUT_SECRET_ARN", "TARABUT_TOKEN_URL", "TOKEN_LEASE_SECS", "AWS_ENDPOINT_URL_SECRETS_MANAGER"):
            self.assertFalse(ct.secret_like(name), name)
        for name in ("TARABUT_CLIENT_SECRET", "CURSOR_HMAC_KEY", "API_TOKEN", "DB_PASSWORD"):
            self.assertTrue(ct.secret_like(name), name)

    def test_secret_arn_given_to_a_function_that_does_not_call_tarabut(self):
        self.fx.edit("template.yaml", "        RETENTION_DAYS: !Ref RetentionDays\n",
                     "        RETENTION_DAYS: !Ref RetentionDays\n        TARABUT_SECRET_ARN: !Ref TarabutSecretArn\n")
        self.assertReported("FinanceConnectionsFunction: sets TARABUT_SECRET_ARN but its code reads no such secret")

    def test_a_function_whose_main_reads_no_secret_it_is_granted(self):
        self.fx.edit("functions/tarabut-sync/src/main.rs",
                     "shared::secrets::with_tarabut_secret(state)", "Ok::<_, shared::state::InitError>(state)")
        self.assertReported("TarabutSyncFunction: functions/tarabut-sync/src/main.rs does not call "
                            "secrets::with_tarabut_secret, but SECRET_ARN_VARS lists it for TARABUT_SECRET_ARN")

    def test_a_function_whose_main_reads_a_secret_it_is_not_granted(self):
        self.fx.edit("functions/finance-accounts/src/main.rs",
                     "    let state = shared::AppState::init().await?;\n",
                     "    let state = shared::AppState::init().await?;\n"
                     "    let state = shared::secrets::with_cursor_key(state).await?;\n")
        self.assertReported("FinanceAccountsFunction: functions/finance-accounts/src/main.rs calls "
                            "secrets::with_cursor_key, but SECRET_ARN_VARS does not list it for CURSOR_KEY_SECRET_ARN")

    def test_tarabut_caller_without_get_secret_value(self):
        text = (self.fx.dir / "template.yaml").read_text()
        block = text[text.index("  TarabutSyncFunction:"):text.index("  FinanceConnectionsFunction:")]
        grant = "            - Effect: Allow\n              Action: [secretsmanager:GetSecretValue]\n              Resource: !Ref TarabutSecretArn\n"
        self.assertIn(grant, block)
        self.fx.write("template.yaml", text.replace(block, block.replace(grant, "")))
        self.assertReported("TarabutSyncFunction: lacks GetSecretValue on")

    def test_get_secret_value_without_the_secret_arn(self):
        self.fx.edit(
            "template.yaml",
            "            # The caller's connection items and account items (erasure::visible_accounts).\n",
            "            - Effect: Allow\n              Action: [secretsmanager:GetSecretValue]\n              Resource: !Ref TarabutSecretArn\n"
            "            # The caller's connection items and account items (erasure::visible_accounts).\n",
        )
        self.assertReported("FinanceAccountsFunction: GetSecretValue on {\"Ref\": \"TarabutSecretArn\"}, a secret it has no *_SECRET_ARN for")

    def test_sdk_endpoint_set_even_when_empty(self):
        self.fx.edit("template.yaml",
                     "AWS_ENDPOINT_URL_DYNAMODB: !If [HasLocalDynamoDbEndpoint, !Ref LocalDynamoDbEndpoint, !Ref AWS::NoValue]",
                     "AWS_ENDPOINT_URL_DYNAMODB: !Ref LocalDynamoDbEndpoint")
        self.assertReported("AWS_ENDPOINT_URL_DYNAMODB must be !If")

    # -- the KMS key

    def test_table_on_an_aws_owned_key(self):
        self.fx.edit("template.yaml", "        SSEType: KMS\n        KMSMasterKeyId: !GetAtt DataKey.Arn\n", "")
        self.assertReported("SSESpecification must be SSEType KMS")

    def test_account_allowed_to_decrypt(self):
        self.fx.edit("template.yaml", "            Action: kms:DescribeKey\n", "            Action: [kms:DescribeKey, kms:Decrypt]\n")
        self.assertReported("DataKey.DeployerCreatesTheTableWithTheKey: the account may administer the key, not use it")

    def test_function_role_missing_from_the_key_policy(self):
        self.fx.edit("template.yaml", "                - !GetAtt FinanceAccountsFunctionRole.Arn\n", "")
        self.assertReported("FinanceAccountsFunctionRole may not use the key via DynamoDB")

    def test_key_not_rotated(self):
        self.fx.edit("template.yaml", "      EnableKeyRotation: true\n", "      EnableKeyRotation: false\n")
        self.assertReported("EnableKeyRotation must be true")

    # -- schedule and alarms

    def test_schedule_without_dead_letter_queue(self):
        self.fx.edit("template.yaml", "            DeadLetterConfig:\n              Arn: !GetAtt CronScheduleDlq.Arn\n", "")
        self.assertReported("the ScheduleV2 event needs DeadLetterConfig")

    def test_cron_concurrency_not_one(self):
        self.fx.edit("template.yaml", "      ReservedConcurrentExecutions: 1\n", "      ReservedConcurrentExecutions: 2\n")
        self.assertReported("CronSyncBanksFunction: ReservedConcurrentExecutions must be 1")

    def test_alarm_on_a_dimensioned_cron_metric(self):
        self.fx.edit("template.yaml", "MetricName: CronFailed}", "MetricName: CronFailed, Dimensions: [{Name: Function, Value: cron}]}")
        self.assertReported("CronFailed is published without dimensions")

    def test_alarm_that_always_notifies(self):
        self.fx.edit("template.yaml", "      AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]\n",
                     "      AlarmActions: [!Ref AlarmTopicArn]\n")
        self.assertReported("AlarmActions must be !If")

    def test_no_token_mint_alarm(self):
        self.fx.edit("template.yaml", "      MetricName: TokenMintFailed\n", "      MetricName: TokenMinted\n")
        self.assertReported("no alarm watches GulfFinance TokenMintFailed")

    def test_platform_log_lines_dropped(self):
        self.fx.edit("template.yaml", "      SystemLogLevel: INFO\n", "      SystemLogLevel: WARN\n")
        self.assertReported("SystemLogLevel 'WARN' drops the START/REPORT lines")

    def test_text_logs(self):
        self.fx.edit("template.yaml", "LogFormat: JSON", "LogFormat: Text")
        self.assertReported("LoggingConfig.LogFormat must be JSON")

    def test_a_log_level_telemetry_cannot_parse(self):
        self.fx.edit("template.yaml", "AllowedValues: [TRACE, DEBUG, INFO, WARN, ERROR]", "AllowedValues: [TRACE, DEBUG, INFO, WARN, ERROR, FATAL]")
        self.assertReported("ApplicationLogLevel's parameter LogLevel must allow only")

    # -- table

    def test_table_not_retained(self):
        self.fx.edit("template.yaml", "    DeletionPolicy: Retain\n", "    DeletionPolicy: Delete\n")
        self.assertReported("DeletionPolicy must be Retain")

    def test_ttl_attribute_differs_from_code(self):
        self.fx.edit("template.yaml", "AttributeName: expires_at_s", "AttributeName: ttl")
        self.assertReported("TTL must be enabled on the attribute the code writes")

    def test_index_renamed(self):
        self.fx.edit("template.yaml", "        - IndexName: gsi1\n", "        - IndexName: due\n")
        self.assertReported("no global secondary index 'gsi1'")

    def test_no_point_in_time_recovery(self):
        self.fx.edit("template.yaml", "PointInTimeRecoveryEnabled: true", "PointInTimeRecoveryEnabled: false")
        self.assertReported("point-in-time recovery must be enabled")

    # -- events/

    def test_missing_event_file(self):
        (self.fx.dir / "events/insights-salary.json").unlink()
        self.assertReported("events/insights-salary.json is missing")

    def test_event_route_differs(self):
        self.fx.write("events/tarabut-sync.json", json.dumps(http_event("POST", "/tarabut/synch")))
        self.assertReported("events/tarabut-sync.json: routeKey 'POST /tarabut/synch'")

    def test_event_with_stage_prefix(self):
        event = http_event("GET", "/finance/connections")
        event["rawPath"] = "/prod/finance/connections"
        self.fx.write("events/finance-connections.json", json.dumps(event))
        self.assertReported("rawPath '/prod/finance/connections' does not match")

    def test_env_json_lacks_a_variable(self):
        env = json.loads((self.fx.dir / "events/env.json").read_text())
        del env["Parameters"]["SYNC_CONCURRENCY"]
        self.fx.write("events/env.json", json.dumps(env))
        self.assertReported("events/env.json lacks SYNC_CONCURRENCY for TarabutConnectFunction")

    def test_env_json_sets_what_no_function_declares(self):
        env = json.loads((self.fx.dir / "events/env.json").read_text())
        env["Parameters"]["TARABUT_CLIENT_SECRET"] = "sandbox-secret"
        self.fx.write("events/env.json", json.dumps(env))
        self.assertReported("events/env.json: Parameters.TARABUT_CLIENT_SECRET is declared by no function (SAM drops it)")

    def test_env_json_sets_a_variable_its_function_does_not_declare(self):
        env = json.loads((self.fx.dir / "events/env.json").read_text())
        env["FinanceAccountsFunction"] = {"EXPORT_BUCKET": "b"}
        self.fx.write("events/env.json", json.dumps(env))
        self.assertReported("events/env.json: FinanceAccountsFunction.EXPORT_BUCKET is not declared by FinanceAccountsFunction")

    def test_unused_parameter(self):
        self.fx.edit("template.yaml", "Parameters:\n", "Parameters:\n  Forgotten:\n    Type: String\n")
        self.assertReported("parameter Forgotten is never used")

    # -- the shared Tarabut quota

    def test_no_api_throttling(self):
        self.fx.edit("template.yaml", "        ThrottlingRateLimit: !Ref ApiRateLimit\n", "")
        self.assertReported("DefaultRouteSettings.ThrottlingRateLimit must be !Ref of a Parameter")

    def test_a_fan_out_route_without_its_throttle(self):
        self.fx.edit(
            "template.yaml",
            "            Path: /finance/refresh\n            RouteSettings:\n"
            "              ThrottlingRateLimit: !Ref TarabutRouteRateLimit\n",
            "            Path: /finance/refresh\n            RouteSettings:\n",
        )
        self.assertReported("RouteSettings.ThrottlingRateLimit must be !Ref of a Parameter")

    def test_a_fan_out_route_throttled_only_as_much_as_the_api(self):
        self.fx.edit(
            "template.yaml",
            "              ThrottlingBurstLimit: !Ref TarabutRouteBurstLimit\n",
            "              ThrottlingBurstLimit: !Ref ApiBurstLimit\n",
        )
        self.assertReported("is the API default, not tighter")

    def test_a_tarabut_caller_without_reserved_concurrency(self):
        self.fx.edit(
            "template.yaml",
            "  TarabutSyncFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            "      ReservedConcurrentExecutions: !If [ReserveTarabutConcurrency, !Ref TarabutFunctionConcurrency, !Ref AWS::NoValue]\n",
            "  TarabutSyncFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n",
        )
        self.assertReported("TarabutSyncFunction: ReservedConcurrentExecutions must be")

    # -- robustness

    def test_unparsable_template(self):
        self.fx.write("template.yaml", "Resources: [\n")
        self.assertReported("cannot read template.yaml")

    def test_main_exits_non_zero_and_counts(self):
        self.fx.edit("template.yaml", "    Timeout: 29\n", "    Timeout: 31\n")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(ct.main(["--repo", str(self.fx.dir)]), 1)
        self.assertIn("FAIL timeouts: TarabutConnectFunction: Timeout 31 s", out.getvalue())
        self.assertTrue(out.getvalue().endswith("passed, 1 failed\n"), out.getvalue())
        fine = Fixture()
        self.addCleanup(fine.close)
        with contextlib.redirect_stdout(io.StringIO()):
            self.assertEqual(ct.main(["--repo", str(fine.dir)]), 0)


if __name__ == "__main__":
    unittest.main()
