#!/usr/bin/env python3
"""What cfn-lint and `sam validate --lint` cannot see in template.yaml.

The linters check that the template is valid CloudFormation/SAM. This checks that it is *our*
template: one function per crate with the right build and binary, HTTP timeouts under API
Gateway's limit, the JWT authorizer on every route but the Tarabut callback, the routes of
docs/architecture.md §3, least-privilege DynamoDB permissions, the table the code expects, the variables
the code reads (and no secret among them: secrets are read at init by ARN), the KMS key and
its policy, the schedule and its dead-letter queue, the alarms, events/env.json against what
`sam local invoke` passes, and an events/<crate>.json per function.

    python3 scripts/template/check_template.py [--repo DIR]

Prints each failure and a closing "template: N passed, N failed" line; exits 1 on any failure.
Needs PyYAML (installed with aws-sam-cli in the check's virtualenv).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = None

# ---------------------------------------------------------------------------------- the spec

#: docs/architecture.md §3: crate -> (method, path). Path parameters as API Gateway writes them.
HTTP_ROUTES: dict[str, tuple[str, str]] = {
    "tarabut-connect": ("POST", "/tarabut/connect"),
    "tarabut-callback": ("GET", "/tarabut/callback"),
    "tarabut-complete": ("POST", "/tarabut/complete"),
    "tarabut-sync": ("POST", "/tarabut/sync"),
    "finance-connections": ("GET", "/finance/connections"),
    "finance-accounts": ("GET", "/finance/accounts"),
    "finance-transactions": ("GET", "/finance/transactions"),
    "finance-connection-delete": ("DELETE", "/finance/connections/{id}"),
    "finance-connections-delete-all": ("DELETE", "/finance/connections"),
    "finance-export": ("POST", "/finance/export"),
    "finance-refresh": ("POST", "/finance/refresh"),
    "finance-refresh-balances": ("POST", "/finance/refresh-balances"),
    "insights-spending": ("GET", "/finance/insights/spending"),
    "insights-income": ("GET", "/finance/insights/income"),
    "insights-salary": ("GET", "/finance/insights/salary"),
    "insights-balance-history": ("GET", "/finance/insights/balance-history"),
}
#: Run by the EventBridge schedule, not by the API.
SCHEDULED = {"cron-sync-banks"}
#: The one route without the JWT authorizer: Tarabut's browser redirect carries no token.
UNAUTHENTICATED = {"tarabut-callback"}
# The levels shared::telemetry understands (tracing's LevelFilter names).
TRACING_LEVELS = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"}

# Least privilege, read from the code paths (shared/src/store/dynamo/mod.rs is the only caller
# of DynamoDB; the use cases (shared/src/linking.rs, connections.rs, sync/, scheduled_sync.rs,
# insights/) and shared/src/banking/ say which operation each issues). TOKEN = the token manager (shared/src/token/repo.rs): consistent GetItem and
# conditional UpdateItem (claim, commit, release, invalidate).
TOKEN = {"dynamodb:GetItem", "dynamodb:UpdateItem"}
SYNC = TOKEN | {"dynamodb:PutItem", "dynamodb:Query", "dynamodb:BatchWriteItem"}
TABLE_ACTIONS: dict[str, set[str]] = {
    # intent binding + pending connection (conditional PutItem)
    "tarabut-connect": TOKEN | {"dynamodb:PutItem", "dynamodb:Query", "dynamodb:DeleteItem"},
    # link attempt get and conditional moves, discard of a refused pending connection,
    # revocation of an abandoned attempt's consent (token)
    "tarabut-callback": TOKEN | {"dynamodb:DeleteItem"},
    # link attempt moves, connection activation, accounts, first sync, discard on failure
    "tarabut-complete": SYNC | {"dynamodb:DeleteItem"},
    "tarabut-sync": SYNC,
    "finance-refresh": SYNC,
    "finance-refresh-balances": SYNC,
    # connections + accounts of the caller; no Tarabut call
    "finance-connections": {"dynamodb:Query"},
    # connections + accounts of the caller (erasure::visible_accounts); no Tarabut call
    "finance-accounts": {"dynamodb:Query"},
    # the same, then one Query per page of the transaction partition (and, with `category`,
    # one for the engine's context around the page); no Tarabut call
    "finance-transactions": {"dynamodb:Query"},
    # connection get, revoke (token), erase by Query + BatchWriteItem, tombstone PutItem
    "finance-connection-delete": SYNC,
    # every connection deleted as above, then the token item (DeleteItem)
    "finance-connections-delete-all": SYNC | {"dynamodb:DeleteItem"},
    # the caller's items by Query, each connection's link attempt by GetItem; no token
    "finance-export": {"dynamodb:Query", "dynamodb:GetItem"},
    # due list, take_due (UpdateItem), then a sync per connection; the link sweep discards
    # pending connections (DeleteItem)
    "cron-sync-banks": SYNC | {"dynamodb:DeleteItem"},
    # stored transactions/balances; refresh=true syncs first
    "insights-spending": SYNC,
    "insights-income": SYNC,
    "insights-salary": SYNC,
    "insights-balance-history": SYNC,
}
#: Only the cron reads the sparse index (ConnectionRepo::due, IntentRepo::due_for_sweep).
INDEX_ACTIONS: dict[str, set[str]] = {"cron-sync-banks": {"dynamodb:Query"}}

#: The export bucket (shared/src/export/s3.rs): its logical id, the one prefix functions may
#: touch, and who does what there. PutObject writes the document; GetObject is what the
#: presigned URL, signed with the function's role, is allowed to do.
EXPORT_BUCKET = "ExportBucket"
EXPORT_OBJECTS = "${" + EXPORT_BUCKET + ".Arn}/exports/*"
BUCKET_ACTIONS: dict[str, set[str]] = {"finance-export": {"s3:PutObject", "s3:GetObject"}}

#: Routes that fan out to Tarabut on a user's request: tighter API throttling than the rest
#: (docs/architecture.md §3.8).
TARABUT_FAN_OUT = {"tarabut-sync", "finance-refresh", "finance-refresh-balances"}
#: Functions that call Tarabut while serving a request: their concurrency is capped (reserved)
#: by the TarabutFunctionConcurrency parameter, unless it is 0.
CALLS_TARABUT = set(HTTP_ROUTES) - {
    "finance-connections",
    "finance-accounts",
    "finance-transactions",
    "finance-export",
}

#: Functions that call Tarabut at all (on a request, refresh=true on an insight, or the
#: schedule): they, and only they, get the client secret's ARN and GetSecretValue on it.
TARABUT_SECRET_FUNCTIONS = CALLS_TARABUT | SCHEDULED
#: Secrets reach a function as ARNs only (issue 11 §2): variable -> (what its value must be:
#: a Parameter's or a resource's !Ref, the functions that get it).
SECRET_ARN_VARS: dict[str, tuple[str, set[str]]] = {
    "TARABUT_SECRET_ARN": ("TarabutSecretArn", TARABUT_SECRET_FUNCTIONS),
    "CURSOR_KEY_SECRET_ARN": ("CursorKeySecret", {"finance-transactions"}),
}
#: What a function's main.rs calls to read each secret at init (shared::secrets).
SECRET_INIT_CALLS: dict[str, str] = {
    "TARABUT_SECRET_ARN": "secrets::with_tarabut_secret",
    "CURSOR_KEY_SECRET_ARN": "secrets::with_cursor_key",
}
#: A variable name that says "secret": refused in any function's environment unless it names
#: a reference (…_ARN), an address (…_URL, AWS_ENDPOINT_URL_*) or a duration (…_SECS/_MS/_DAYS:
#: TOKEN_LEASE_SECS is a setting of the token manager, not a token).
SECRET_WORDS = {"SECRET", "PASSWORD", "TOKEN", "KEY"}
NOT_A_SECRET_SUFFIXES = ("_ARN", "_URL", "_SECS", "_MS", "_DAYS")
DYNAMIC_SECRET_REFERENCES = ("{{resolve:secretsmanager", "{{resolve:ssm-secure")
#: Endpoint overrides the SDK reads (local runs only). In AWS they must be absent: the Rust
#: SDK takes an empty AWS_ENDPOINT_URL_<SERVICE> as the endpoint. So each is
#: !If [<condition>, !Ref <parameter defaulting to "">, !Ref AWS::NoValue]; the S3 one only on
#: the export function.
SDK_ENDPOINT_VARS: dict[str, set[str] | None] = {
    "AWS_ENDPOINT_URL_DYNAMODB": None,  # every function
    "AWS_ENDPOINT_URL_SECRETS_MANAGER": None,
    "AWS_ENDPOINT_URL_S3": {"finance-export"},
}
#: Key actions that use the key (as opposed to administering it).
KMS_USE = re.compile(r"^kms:(\*|Encrypt|Decrypt|ReEncrypt\w*\*?|GenerateDataKey\w*\*?|CreateGrant|GenerateMac|Sign)$")
#: docs/operations.md: the namespace of the code's EMF metrics, and the metrics alarms read
#: without dimensions (the dimension set must match exactly for an alarm to see the data).
METRICS_NAMESPACE = "GulfFinance"
UNDIMENSIONED_METRICS = {"TokenMinted", "TokenMintFailed", "CronDue", "CronSynced", "CronFailed", "CronReauth", "CronSkipped"}
#: The alarms of issue 11 §3, by what they watch (namespace, metric).
REQUIRED_ALARM_METRICS = {
    ("GulfFinance", "CronFailed"), ("GulfFinance", "CronDue"), ("AWS/Lambda", "Invocations"),
    ("AWS/ApiGateway", "5xx"), ("AWS/ApiGateway", "Latency"), ("AWS/Lambda", "Errors"),
    ("AWS/Lambda", "Throttles"), ("AWS/DynamoDB", "ReadThrottleEvents"),
    ("AWS/DynamoDB", "WriteThrottleEvents"), ("GulfFinance", "TokenMintFailed"),
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
}
ALARM_TOPIC = "AlarmTopicArn"
SQS_MAX_RETENTION = 1209600

#: API Gateway's HTTP API cuts an integration at 30 s; the function must end first.
HTTP_MAX_TIMEOUT = 29
LAMBDA_MAX_TIMEOUT = 900
RUNTIME = "provided.al2023"
ARCHITECTURES = ["arm64"]
HANDLER = "bootstrap"
BUILD_METHOD = "rust-cargolambda"
#: Lambda refuses these as function environment variables (it sets them itself).
RESERVED_ENV = re.compile(
    r"^(_HANDLER|_X_AMZN_TRACE_ID|AWS_REGION|AWS_EXECUTION_ENV|AWS_LAMBDA_\w+|"
    r"AWS_ACCESS_KEY(_ID)?|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|LAMBDA_TASK_ROOT|"
    r"LAMBDA_RUNTIME_DIR)$"
)
TABLE_KEYS = [("pk", "HASH"), ("sk", "RANGE")]
GSI_KEYS = [("gsi1pk", "HASH"), ("gsi1sk", "RANGE")]


def secret_like(name: str) -> bool:
    """TARABUT_CLIENT_SECRET, CURSOR_HMAC_KEY, API_TOKEN: yes. TARABUT_SECRET_ARN,
    TARABUT_TOKEN_URL, TOKEN_LEASE_SECS, AWS_ENDPOINT_URL_SECRETS_MANAGER: no."""
    if name.startswith("AWS_ENDPOINT_URL") or name.endswith(NOT_A_SECRET_SUFFIXES):
        return False
    return bool(SECRET_WORDS & set(name.split("_")))


def logical_id(crate: str) -> str:
    """`tarabut-connect` -> `TarabutConnectFunction` (SAM logical ids are alphanumeric)."""
    return "".join(part[:1].upper() + part[1:] for part in crate.split("-")) + "Function"


# ------------------------------------------------------------------------- YAML with !Tags


class CfnLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present
    """PyYAML with CloudFormation's short-form intrinsics (`!Ref x` -> {"Ref": "x"})."""


def _intrinsic(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path) -> dict:
    with path.open(encoding="utf-8") as f:
        doc = yaml.load(f, Loader=CfnLoader)  # noqa: S506 - a SafeLoader
    if not isinstance(doc, dict):
        raise ValueError(f"{path} is not a YAML mapping")
    return doc


# ---------------------------------------------------------------------------- the checker


@dataclass
class Report:
    passed: int = 0
    failures: list[str] = field(default_factory=list)

    def check(self, name: str, problems: list[str]) -> None:
        if problems:
            self.failures.extend(f"{name}: {p}" for p in problems)
        else:
            self.passed += 1


def is_ref(value: Any, name: str | None = None) -> bool:
    return isinstance(value, dict) and set(value) == {"Ref"} and (name is None or value["Ref"] == name)


def is_getatt(value: Any, resource: str, attribute: str) -> bool:
    return isinstance(value, dict) and value.get("Fn::GetAtt") == [resource, attribute]


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _is_intrinsic(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and (next(iter(value)) == "Ref" or next(iter(value)).startswith("Fn::"))


def merge_global(g: Any, p: Any) -> Any:
    """SAM's Globals merge: maps merge key by key, lists concatenate (Globals first), anything
    else (intrinsics included) is replaced by the function's value."""
    if p is None:
        return g
    if g is None:
        return p
    if isinstance(g, dict) and isinstance(p, dict) and not _is_intrinsic(g) and not _is_intrinsic(p):
        return {k: merge_global(g.get(k), p.get(k)) for k in {**g, **p}}
    if isinstance(g, list) and isinstance(p, list):
        return g + p
    return p


def merged(globals_: dict, props: dict, key: str) -> Any:
    """A function property after SAM's Globals merge."""
    return merge_global(globals_.get(key), props.get(key))


class Checker:
    def __init__(self, repo: Path):
        self.repo = repo
        self.report = Report()
        self.tpl: dict = {}
        self.resources: dict = {}
        self.globals: dict = {}
        self.functions: dict[str, dict] = {}  # logical id -> resource
        self.crate_of: dict[str, str] = {}  # logical id -> crate named by its build

    # -- helpers

    def of_type(self, type_: str) -> dict[str, dict]:
        return {k: v for k, v in self.resources.items() if isinstance(v, dict) and v.get("Type") == type_}

    def prop(self, fid: str, key: str) -> Any:
        return merged(self.globals, self.functions[fid].get("Properties") or {}, key)

    def events(self, fid: str) -> dict[str, dict]:
        return (self.functions[fid].get("Properties") or {}).get("Events") or {}

    def param_default(self, value: Any) -> Any:
        if is_ref(value) and value["Ref"] in (self.tpl.get("Parameters") or {}):
            return self.tpl["Parameters"][value["Ref"]].get("Default")
        return value

    def crates(self) -> dict[str, Path]:
        """functions/<dir> with a Cargo.toml -> its package name (must equal the dir)."""
        out = {}
        for d in sorted((self.repo / "functions").glob("*/Cargo.toml")):
            out[d.parent.name] = d
        return out

    # -- the checks

    def run(self) -> Report:
        r = self.report
        try:
            self.tpl = load_template(self.repo / "template.yaml")
        except (OSError, yaml.YAMLError, ValueError) as e:
            r.check("template", [f"cannot read template.yaml: {e}"])
            return r
        self.resources = self.tpl.get("Resources") or {}
        self.globals = (self.tpl.get("Globals") or {}).get("Function") or {}
        self.functions = self.of_type("AWS::Serverless::Function")
        for name, check in [
            ("crates", self.check_crates),
            ("functions", self.check_functions_vs_crates),
            ("build", self.check_build),
            ("runtime", self.check_runtime),
            ("timeouts", self.check_timeouts),
            ("api", self.check_api),
            ("routes", self.check_routes),
            ("quota", self.check_quota),
            ("auth", self.check_route_auth),
            ("schedule", self.check_schedule),
            ("environment", self.check_environment),
            ("secret", self.check_secret),
            ("secret access", self.check_secret_access),
            ("sdk endpoints", self.check_sdk_endpoints),
            ("logging", self.check_logging),
            ("permissions", self.check_permissions),
            ("export bucket", self.check_export_bucket),
            ("table", self.check_table),
            ("kms key", self.check_kms_key),
            ("alarms", self.check_alarms),
            ("events", self.check_events),
            ("env.json", self.check_env_json),
            ("outputs", self.check_outputs),
            ("parameters", self.check_parameters_used),
        ]:
            try:
                r.check(name, check())
            except Exception as e:  # a malformed template must fail the check, not crash it
                r.check(name, [f"could not be checked ({type(e).__name__}: {e})"])
        return r

    def check_crates(self) -> list[str]:
        problems = []
        crates = self.crates()
        if not crates:
            return ["no functions/*/Cargo.toml found"]
        for crate, manifest in crates.items():
            text = manifest.read_text(encoding="utf-8")
            if tomllib is not None:
                data = tomllib.loads(text)
                name = (data.get("package") or {}).get("name")
                bins = [b.get("name") for b in data.get("bin") or []]
            else:
                m = re.search(r'^\s*name\s*=\s*"([^"]+)"', text, re.M)
                name, bins = (m.group(1) if m else None), []
            if name != crate:
                problems.append(f"functions/{crate}: package name is {name!r}; crate = binary = directory name")
            if bins and crate not in bins:
                problems.append(f"functions/{crate}: no [[bin]] named {crate!r} (the binary the build expects)")
        return problems

    def crate_for(self, fid: str) -> str | None:
        """The crate a function's build names: BuildProperties.Binary or target/lambda/<crate>/."""
        metadata = self.functions[fid].get("Metadata") or {}
        if "BuildMethod" in metadata:
            binary = (metadata.get("BuildProperties") or {}).get("Binary")
            return binary if isinstance(binary, str) else None
        code = self.prop(fid, "CodeUri")
        m = re.fullmatch(r"(?:\./)?target/lambda/([a-z0-9][a-z0-9-]*)/?", code) if isinstance(code, str) else None
        return m.group(1) if m else None

    def check_functions_vs_crates(self) -> list[str]:
        problems = []
        crates = set(self.crates())
        expected = set(HTTP_ROUTES) | SCHEDULED
        by_crate: dict[str, list[str]] = {}
        for fid in self.functions:
            crate = self.crate_for(fid)
            if crate is None:
                problems.append(f"{fid}: names no crate (CodeUri target/lambda/<crate>/ or BuildProperties.Binary)")
                continue
            self.crate_of[fid] = crate
            by_crate.setdefault(crate, []).append(fid)
            if fid != logical_id(crate):
                problems.append(f"{fid}: builds {crate!r}, so its logical id must be {logical_id(crate)}")
            if crate not in crates:
                problems.append(f"{fid}: builds {crate!r} but functions/{crate}/Cargo.toml does not exist")
            if crate not in expected:
                problems.append(f"{fid}: {crate!r} is not a function of docs/architecture.md §2.3/§3")
        for crate, fids in sorted(by_crate.items()):
            if len(fids) > 1:
                problems.append(f"crate {crate!r} is built by {len(fids)} functions: {', '.join(fids)}")
        for crate in sorted(crates - set(by_crate)):
            problems.append(f"functions/{crate} has no Function in template.yaml (expected {logical_id(crate)})")
        for crate in sorted(expected - set(by_crate) - crates):
            problems.append(f"docs/architecture.md function {crate!r} has neither a Function nor a crate")
        return problems

    def check_build(self) -> list[str]:
        problems, methods = [], set()
        for fid, res in self.functions.items():
            metadata = res.get("Metadata") or {}
            code = self.prop(fid, "CodeUri")
            crate = self.crate_of.get(fid)
            if "BuildMethod" in metadata or "BuildProperties" in metadata:
                methods.add("sam build")
                if metadata.get("BuildMethod") != BUILD_METHOD:
                    problems.append(f"{fid}: BuildMethod {metadata.get('BuildMethod')!r} is not {BUILD_METHOD!r}")
                if not (isinstance(code, str) and (self.repo / code / "Cargo.toml").is_file()):
                    problems.append(f"{fid}: with {BUILD_METHOD}, CodeUri must be a directory with a Cargo.toml")
            else:
                methods.add("CodeUri")
                if crate is None:
                    problems.append(f"{fid}: CodeUri {code!r} is not target/lambda/<crate>/ (cargo lambda build's output)")
        if len(methods) > 1:
            problems.append("functions mix BuildMethod and prebuilt CodeUri; pick one build for all")
        return problems

    def check_runtime(self) -> list[str]:
        problems = []
        for fid in self.functions:
            if self.prop(fid, "Runtime") != RUNTIME:
                problems.append(f"{fid}: Runtime {self.prop(fid, 'Runtime')!r}, expected {RUNTIME}")
            if self.prop(fid, "Architectures") != ARCHITECTURES:
                problems.append(f"{fid}: Architectures {self.prop(fid, 'Architectures')!r}, expected {ARCHITECTURES}")
            if self.prop(fid, "Handler") != HANDLER:
                problems.append(f"{fid}: Handler {self.prop(fid, 'Handler')!r}, expected {HANDLER}")
            if self.prop(fid, "PackageType") not in (None, "Zip"):
                problems.append(f"{fid}: PackageType must be Zip")
        return problems

    def check_timeouts(self) -> list[str]:
        problems, http_max = [], 0
        for fid in self.functions:
            timeout = self.param_default(self.prop(fid, "Timeout"))
            memory = self.param_default(self.prop(fid, "MemorySize"))
            if not isinstance(timeout, int) or isinstance(timeout, bool):
                problems.append(f"{fid}: Timeout {timeout!r} is not a number of seconds")
                continue
            http = any(e.get("Type") == "HttpApi" for e in self.events(fid).values())
            limit = HTTP_MAX_TIMEOUT if http else LAMBDA_MAX_TIMEOUT
            if not 1 <= timeout <= limit:
                why = "API Gateway ends HTTP integrations at 30 s" if http else "Lambda's maximum"
                problems.append(f"{fid}: Timeout {timeout} s is outside 1..{limit} ({why})")
            if http:
                http_max = max(http_max, timeout)
            if memory is not None and not (isinstance(memory, int) and 128 <= memory <= 10240):
                problems.append(f"{fid}: MemorySize {memory!r} outside 128..10240 MB")
        for fid in self.functions:
            if self.crate_of.get(fid) in SCHEDULED:
                timeout = self.param_default(self.prop(fid, "Timeout"))
                if isinstance(timeout, int) and timeout <= http_max:
                    problems.append(f"{fid}: the scheduled sync's Timeout ({timeout} s) should exceed the HTTP functions' ({http_max} s)")
        return problems

    def check_api(self) -> list[str]:
        problems = []
        apis = self.of_type("AWS::Serverless::HttpApi")
        if len(apis) != 1:
            return [f"expected exactly one AWS::Serverless::HttpApi, found {len(apis)}"]
        if self.of_type("AWS::Serverless::Api"):
            problems.append("a REST API (AWS::Serverless::Api) is present; the design is one HTTP API")
        (api_id, api), = apis.items()
        props = api.get("Properties") or {}
        stage = props.get("StageName", "$default")
        if stage != "$default":
            problems.append(f"{api_id}: StageName {stage!r}; only $default keeps paths free of a stage prefix")
        if "DefinitionBody" in props or "DefinitionUri" in props:
            problems.append(f"{api_id}: routes must come from the functions' HttpApi events, not a definition")
        auth = props.get("Auth") or {}
        default = auth.get("DefaultAuthorizer")
        authorizers = auth.get("Authorizers") or {}
        if not default:
            problems.append(f"{api_id}: no Auth.DefaultAuthorizer: routes would be public")
        elif default not in authorizers:
            problems.append(f"{api_id}: DefaultAuthorizer {default!r} is not among Auth.Authorizers")
        else:
            a = authorizers[default] or {}
            jwt = a.get("JwtConfiguration") or {}
            issuer = jwt.get("issuer")
            audience = jwt.get("audience")
            if not issuer:
                problems.append(f"{api_id}: authorizer {default!r} has no JwtConfiguration.issuer")
            elif not (is_ref(issuer) or (isinstance(issuer, str) and issuer.startswith("https://"))):
                problems.append(f"{api_id}: JWT issuer must be an https URL or a Ref to a Parameter")
            elif is_ref(issuer) and issuer["Ref"] not in (self.tpl.get("Parameters") or {}):
                problems.append(f"{api_id}: JWT issuer refers to {issuer['Ref']!r}, which is not a Parameter")
            if not audience:
                problems.append(f"{api_id}: authorizer {default!r} has no JwtConfiguration.audience")
            if a.get("IdentitySource", "$request.header.Authorization") != "$request.header.Authorization":
                problems.append(f"{api_id}: IdentitySource must be $request.header.Authorization")
        return problems

    def check_quota(self) -> list[str]:
        """API throttling and reserved concurrency protect the one Tarabut credential."""
        problems = []
        params = self.tpl.get("Parameters") or {}
        (api_id, api), = self.of_type("AWS::Serverless::HttpApi").items()
        default = (api.get("Properties") or {}).get("DefaultRouteSettings") or {}
        for key in ("ThrottlingRateLimit", "ThrottlingBurstLimit"):
            value = default.get(key)
            if not (is_ref(value) and value["Ref"] in params):
                problems.append(f"{api_id}: DefaultRouteSettings.{key} must be !Ref of a Parameter")
        tarabut_limits = {}
        for fid in self.functions:
            crate = self.crate_of.get(fid)
            if crate in TARABUT_FAN_OUT:
                for name, props in self.http_events(fid):
                    rs = props.get("RouteSettings") or {}
                    for key in ("ThrottlingRateLimit", "ThrottlingBurstLimit"):
                        value = rs.get(key)
                        if not (is_ref(value) and value["Ref"] in params):
                            problems.append(f"{fid}.{name}: RouteSettings.{key} must be !Ref of a Parameter")
                        else:
                            tarabut_limits.setdefault(key, set()).add(value["Ref"])
                        if is_ref(value) and is_ref(default.get(key)) and value["Ref"] == default[key]["Ref"]:
                            problems.append(f"{fid}.{name}: RouteSettings.{key} is the API default, not tighter")
            reserved = self.prop(fid, "ReservedConcurrentExecutions")
            if crate in CALLS_TARABUT:
                ok = (
                    isinstance(reserved, dict)
                    and isinstance(reserved.get("Fn::If"), list)
                    and len(reserved["Fn::If"]) == 3
                    and is_ref(reserved["Fn::If"][1])
                    and reserved["Fn::If"][1]["Ref"] in params
                    and is_ref(reserved["Fn::If"][2], "AWS::NoValue")
                    and reserved["Fn::If"][0] in (self.tpl.get("Conditions") or {})
                )
                if not ok:
                    problems.append(
                        f"{fid}: ReservedConcurrentExecutions must be !If [<condition>, !Ref <parameter>, !Ref AWS::NoValue]"
                    )
        for key, refs in tarabut_limits.items():
            if len(refs) != 1:
                problems.append(f"the Tarabut routes' {key} refer to several parameters: {sorted(refs)}")
        return problems

    def http_events(self, fid: str) -> list[tuple[str, dict]]:
        return [(n, e.get("Properties") or {}) for n, e in self.events(fid).items() if e.get("Type") == "HttpApi"]

    def check_routes(self) -> list[str]:
        problems = []
        apis = list(self.of_type("AWS::Serverless::HttpApi"))
        api_id = apis[0] if len(apis) == 1 else None
        seen: dict[tuple[str, str], str] = {}
        for fid in self.functions:
            crate = self.crate_of.get(fid)
            routes = []
            for name, props in self.http_events(fid):
                method = str(props.get("Method", "")).upper()
                path = props.get("Path")
                routes.append((method, path))
                if not is_ref(props.get("ApiId"), api_id):
                    problems.append(f"{fid}.{name}: ApiId must be !Ref {api_id} (else SAM makes a second, implicit API)")
                if props.get("PayloadFormatVersion", "2.0") != "2.0":
                    problems.append(f"{fid}.{name}: PayloadFormatVersion must be 2.0 (events/ and lambda_http expect it)")
                if (method, path) in seen:
                    problems.append(f"{method} {path} is routed twice ({seen[(method, path)]}, {fid})")
                seen[(method, path)] = fid
            for name, e in self.events(fid).items():
                if e.get("Type") == "Api":
                    problems.append(f"{fid}.{name}: event type Api (REST); use HttpApi")
            problems.extend(self.path_params_read(fid, crate, routes))
            if crate in HTTP_ROUTES:
                want = HTTP_ROUTES[crate]
                if routes != [want]:
                    got = ", ".join(f"{m} {p}" for m, p in routes) or "none"
                    problems.append(f"{fid}: routes {got}; expected exactly {want[0]} {want[1]}")
            elif routes:
                problems.append(f"{fid}: {crate!r} is not an HTTP function but has routes {routes}")
        return problems

    def path_params_read(self, fid: str, crate: str | None, routes: list[tuple[str, Any]]) -> list[str]:
        """A {param} in a route must be a name the crate's handler reads."""
        src = self.repo / "functions" / str(crate) / "src"
        if crate is None or not src.is_dir():
            return []
        code = "\n".join(f.read_text(encoding="utf-8") for f in sorted(src.rglob("*.rs")))
        return [
            f"{fid}: route parameter {{{name}}} is never read by functions/{crate}/src (path_param(\"{name}\"))"
            for _, path in routes
            for name in re.findall(r"\{([^}/]+)\}", str(path))
            if f'"{name}"' not in code
        ]

    def check_route_auth(self) -> list[str]:
        problems = []
        apis = self.of_type("AWS::Serverless::HttpApi")
        default = None
        if len(apis) == 1:
            default = ((next(iter(apis.values())).get("Properties") or {}).get("Auth") or {}).get("DefaultAuthorizer")
        for fid in self.functions:
            crate = self.crate_of.get(fid)
            for name, props in self.http_events(fid):
                authorizer = (props.get("Auth") or {}).get("Authorizer")
                if crate in UNAUTHENTICATED:
                    if authorizer != "NONE":
                        problems.append(f"{fid}.{name}: the Tarabut callback must say Auth: {{Authorizer: NONE}} (a browser redirect has no JWT)")
                elif authorizer is not None and authorizer != default:
                    problems.append(f"{fid}.{name}: Authorizer {authorizer!r}; every route but the callback uses the JWT authorizer")
        return problems

    def check_schedule(self) -> list[str]:
        problems = []
        for fid in self.functions:
            if self.crate_of.get(fid) not in SCHEDULED:
                continue
            events = self.events(fid)
            kinds = [e.get("Type") for e in events.values()]
            if kinds not in (["Schedule"], ["ScheduleV2"]):
                problems.append(f"{fid}: expected exactly one Schedule or ScheduleV2 event, found {kinds}")
                continue
            props = next(iter(events.values())).get("Properties") or {}
            if kinds == ["ScheduleV2"]:
                problems.extend(self.schedule_v2(fid, props))
            if self.prop(fid, "ReservedConcurrentExecutions") != 1:
                problems.append(f"{fid}: ReservedConcurrentExecutions must be 1 (one scheduled run at a time)")
            expr = props.get("Schedule", props.get("ScheduleExpression"))
            if not is_ref(expr) or expr["Ref"] not in (self.tpl.get("Parameters") or {}):
                problems.append(f"{fid}: the schedule expression should be a Ref to a Parameter (deployers tune the rate)")
            default = self.param_default(expr)
            if not (isinstance(default, str) and re.fullmatch(r"(rate|cron)\(.+\)", default)):
                problems.append(f"{fid}: schedule {default!r} is not rate(...) or cron(...)")
        return problems

    def schedule_v2(self, fid: str, props: dict) -> list[str]:
        problems = []
        for key in ("RetryPolicy", "FlexibleTimeWindow", "DeadLetterConfig", "Input"):
            if key not in props:
                problems.append(f"{fid}: the ScheduleV2 event needs {key}")
        if "Name" in props and not props.get("OmitName"):
            problems.append(f"{fid}: a fixed schedule Name collides between two stacks in one account; OmitName: true")
        arn = (props.get("DeadLetterConfig") or {}).get("Arn")
        queue_id = arn.get("Fn::GetAtt", [None])[0] if isinstance(arn, dict) else None
        queue = self.resources.get(queue_id) if queue_id else None
        if "DeadLetterConfig" in props:
            if not queue or queue.get("Type") != "AWS::SQS::Queue":
                problems.append(f"{fid}: DeadLetterConfig.Arn must be !GetAtt of an AWS::SQS::Queue in the template")
            else:
                q = queue.get("Properties") or {}
                if not (q.get("SqsManagedSseEnabled") is True or q.get("KmsMasterKeyId")):
                    problems.append(f"{queue_id}: the dead-letter queue must be encrypted")
                if q.get("MessageRetentionPeriod") != SQS_MAX_RETENTION:
                    problems.append(f"{queue_id}: MessageRetentionPeriod must be {SQS_MAX_RETENTION} (14 days)")
                dims = [
                    ((a.get("Properties") or {}).get("Dimensions") or [])
                    for a in self.of_type("AWS::CloudWatch::Alarm").values()
                    if (a.get("Properties") or {}).get("MetricName") == "ApproximateNumberOfMessagesVisible"
                ]
                if not any(is_getatt(d.get("Value"), queue_id, "QueueName") for ds in dims for d in ds):
                    problems.append(f"{queue_id}: no alarm on its ApproximateNumberOfMessagesVisible")
        return problems

    def config_variables(self) -> tuple[set[str], set[str]]:
        """(required, optional) variable names read by shared/src/config.rs (`env.tarabut_url` is a required URL too)."""
        text = (self.repo / "shared/src/config.rs").read_text(encoding="utf-8")
        required = set(re.findall(r'env\.(?:required|url|tarabut_url)\("([A-Z0-9_]+)"\)', text))
        optional = set(re.findall(r'env\.(?:secs|millis|number|optional)\("([A-Z0-9_]+)"', text))
        if not required:
            raise ValueError("found no env.required/env.url variables in shared/src/config.rs")
        return required, optional

    def check_environment(self) -> list[str]:
        problems = []
        required, optional = self.config_variables()
        for fid in self.functions:
            env = (self.prop(fid, "Environment") or {}).get("Variables") or {}
            for missing in sorted(required - set(env)):
                problems.append(f"{fid}: {missing} is not set (shared/src/config.rs requires it; init would fail)")
            for name in sorted(set(env) - required - optional - set(SECRET_ARN_VARS) - set(SDK_ENDPOINT_VARS)):
                if RESERVED_ENV.match(name):
                    problems.append(f"{fid}: {name} is reserved by Lambda and cannot be set")
                else:
                    problems.append(f"{fid}: {name} is not read by shared/src/config.rs (a typo?)")
            if "TABLE_NAME" in env and not is_ref(env["TABLE_NAME"]):
                problems.append(f"{fid}: TABLE_NAME must be !Ref of the template's table")
        return problems

    def check_export_bucket(self) -> list[str]:
        """The export bucket: private, encrypted, TLS only, objects gone after a day; only the
        functions of BUCKET_ACTIONS name it, and they do."""
        problems = []
        bucket = self.resources.get(EXPORT_BUCKET)
        if not bucket or bucket.get("Type") != "AWS::S3::Bucket":
            return [f"{EXPORT_BUCKET}: the export bucket (AWS::S3::Bucket) is missing"]
        props = bucket.get("Properties") or {}
        rules = ((props.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration")) or []
        algorithms = {((r or {}).get("ServerSideEncryptionByDefault") or {}).get("SSEAlgorithm") for r in rules}
        if not algorithms or not algorithms <= {"AES256", "aws:kms"}:
            problems.append(f"{EXPORT_BUCKET}: BucketEncryption must default to AES256 or aws:kms")
        block = props.get("PublicAccessBlockConfiguration") or {}
        for key in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"):
            if block.get(key) is not True:
                problems.append(f"{EXPORT_BUCKET}: PublicAccessBlockConfiguration.{key} must be true")
        ownership = [r.get("ObjectOwnership") for r in ((props.get("OwnershipControls") or {}).get("Rules") or [])]
        if ownership != ["BucketOwnerEnforced"]:
            problems.append(f"{EXPORT_BUCKET}: OwnershipControls must be BucketOwnerEnforced (no ACLs)")
        expiring = [
            r for r in ((props.get("LifecycleConfiguration") or {}).get("Rules") or [])
            if r.get("Status") == "Enabled" and r.get("ExpirationInDays") == 1
            and not r.get("Prefix") and not r.get("Filter")
        ]
        if not expiring:
            problems.append(f"{EXPORT_BUCKET}: a lifecycle rule must delete every object after 1 day (ExpirationInDays: 1)")
        tls_only = False
        for res in self.of_type("AWS::S3::BucketPolicy").values():
            p = res.get("Properties") or {}
            if not is_ref(p.get("Bucket"), EXPORT_BUCKET):
                continue
            for st in as_list((p.get("PolicyDocument") or {}).get("Statement")):
                cond = ((st.get("Condition") or {}).get("Bool") or {}).get("aws:SecureTransport")
                if st.get("Effect") == "Deny" and str(cond).lower() == "false" and st.get("Principal") in ("*", {"AWS": "*"}):
                    tls_only = True
        if not tls_only:
            problems.append(f"{EXPORT_BUCKET}: a bucket policy must deny requests without TLS (aws:SecureTransport false)")
        for fid in self.functions:
            crate = self.crate_of.get(fid)
            env = (self.prop(fid, "Environment") or {}).get("Variables") or {}
            value = env.get("EXPORT_BUCKET")
            if crate in BUCKET_ACTIONS and not is_ref(value, EXPORT_BUCKET):
                problems.append(f"{fid}: EXPORT_BUCKET must be !Ref {EXPORT_BUCKET} (its init fails without it)")
            elif crate not in BUCKET_ACTIONS and value is not None:
                problems.append(f"{fid}: sets EXPORT_BUCKET but is not an export function (BUCKET_ACTIONS)")
        return problems

    def env_of(self, fid: str) -> dict:
        return (self.prop(fid, "Environment") or {}).get("Variables") or {}

    def check_secret(self) -> list[str]:
        """No secret in any function's environment: not as a value, not as a dynamic reference
        (resolved into the configuration that GetFunctionConfiguration shows), not under a
        name that says secret. A function reads a secret at init, by its ARN."""
        problems = []
        for fid in self.functions:
            for name, value in self.env_of(fid).items():
                text = json.dumps(value)
                if any(r in text for r in DYNAMIC_SECRET_REFERENCES):
                    problems.append(f"{fid}: {name} resolves a secret into the environment ({text}); pass the secret's ARN (*_SECRET_ARN) and read it at init")
                elif secret_like(name):
                    problems.append(f"{fid}: {name} looks like a secret in the environment; pass the secret's ARN (a name ending in _ARN) and read it at init")
        return problems

    def secret_arn_of(self, target: str) -> Any:
        """What GetSecretValue must name for a SECRET_ARN_VARS target: the Parameter's !Ref, or
        the stack's secret by the ARN its fixed Name gives (its !Ref would be a cycle with the
        key policy that names the role)."""
        params = self.tpl.get("Parameters") or {}
        if target in params:
            return {"Ref": target}
        res = self.resources.get(target) or {}
        name = (res.get("Properties") or {}).get("Name")
        sub = name.get("Fn::Sub") if isinstance(name, dict) else name
        if not isinstance(sub, str):
            raise ValueError(f"{target}: Name must be a fixed string or !Sub (role policies name it by ARN)")
        return {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:" + sub + "-??????"}

    def check_secret_access(self) -> list[str]:
        """Each *_SECRET_ARN goes to exactly its functions, and GetSecretValue on exactly that
        secret goes to exactly the functions that have the variable."""
        problems = []
        params = self.tpl.get("Parameters") or {}
        for var, (target, crates) in SECRET_ARN_VARS.items():
            if target in params:
                pattern = str(params[target].get("AllowedPattern", ""))
                if "secretsmanager" not in pattern:
                    problems.append(f"parameter {target}: AllowedPattern must accept only a Secrets Manager ARN")
            elif (self.resources.get(target) or {}).get("Type") != "AWS::SecretsManager::Secret":
                problems.append(f"{var} names {target}, which is neither a Parameter nor an AWS::SecretsManager::Secret")
                continue
        secret = self.resources.get("CursorKeySecret") or {}
        sp = secret.get("Properties") or {}
        gen = sp.get("GenerateSecretString") or {}
        if secret:
            if not (isinstance(gen.get("PasswordLength"), int) and gen["PasswordLength"] >= 64):
                problems.append("CursorKeySecret: GenerateSecretString.PasswordLength must be at least 64")
            if gen.get("ExcludePunctuation") is not True or "SecretStringTemplate" in gen or "GenerateStringKey" in gen:
                problems.append("CursorKeySecret: a plain generated string (ExcludePunctuation: true, no JSON template)")
            key = sp.get("KmsKeyId")
            if not any(is_getatt(key, k, "Arn") or is_ref(key, k) for k in self.of_type("AWS::KMS::Key")):
                problems.append("CursorKeySecret: KmsKeyId must be the stack's KMS key")
        for fid in self.functions:
            crate = self.crate_of.get(fid)
            env = self.env_of(fid)
            want_resources = []
            main = self.repo / "functions" / str(crate) / "src" / "main.rs"
            main_rs = main.read_text(encoding="utf-8") if main.is_file() else ""
            for var, (target, crates) in SECRET_ARN_VARS.items():
                # The template's grant and the code's read must agree: a function granted a
                # secret it never reads holds a needless permission; one that reads a secret
                # it is not granted fails its init (AccessDenied).
                reads = SECRET_INIT_CALLS[var] in main_rs
                if reads != (crate in crates):
                    problems.append(
                        f"{fid}: functions/{crate}/src/main.rs {'calls' if reads else 'does not call'} "
                        f"{SECRET_INIT_CALLS[var]}, but SECRET_ARN_VARS {'does not list' if reads else 'lists'} it for {var}"
                    )
                if crate in crates:
                    if not is_ref(env.get(var), target):
                        problems.append(f"{fid}: {var} must be !Ref {target}")
                    want_resources.append(self.secret_arn_of(target))
                elif var in env:
                    problems.append(f"{fid}: sets {var} but its code reads no such secret (SECRET_ARN_VARS)")
            got_resources = []
            for policy in as_list((self.functions[fid].get("Properties") or {}).get("Policies") or []):
                for st in as_list((policy or {}).get("Statement") if isinstance(policy, dict) else []):
                    actions = [a for a in as_list(st.get("Action")) if str(a).startswith("secretsmanager:")]
                    if not actions:
                        continue
                    if actions != ["secretsmanager:GetSecretValue"]:
                        problems.append(f"{fid}: secretsmanager actions {actions}; only GetSecretValue")
                    got_resources.extend(as_list(st.get("Resource")))
            for res in got_resources:
                if res not in want_resources:
                    problems.append(f"{fid}: GetSecretValue on {json.dumps(res)}, a secret it has no *_SECRET_ARN for")
            for res in want_resources:
                if res not in got_resources:
                    problems.append(f"{fid}: lacks GetSecretValue on {json.dumps(res)} (AccessDenied at init)")
        return problems

    def check_sdk_endpoints(self) -> list[str]:
        problems = []
        params = self.tpl.get("Parameters") or {}
        conditions = self.tpl.get("Conditions") or {}
        for fid in self.functions:
            crate = self.crate_of.get(fid)
            env = self.env_of(fid)
            for var, only in SDK_ENDPOINT_VARS.items():
                if var not in env:
                    continue
                if only is not None and crate not in only:
                    problems.append(f"{fid}: {var} is only for {sorted(only)}")
                value = env[var]
                branches = value.get("Fn::If") if isinstance(value, dict) else None
                ok = (
                    isinstance(branches, list) and len(branches) == 3 and branches[0] in conditions
                    and is_ref(branches[1]) and (params.get(branches[1]["Ref"]) or {}).get("Default") == ""
                    and is_ref(branches[2], "AWS::NoValue")
                )
                if not ok:
                    problems.append(
                        f"{fid}: {var} must be !If [<condition>, !Ref <parameter with Default \"\">, !Ref AWS::NoValue]: "
                        "set in AWS, even empty, the SDK sends every call there"
                    )
        return problems

    def check_logging(self) -> list[str]:
        problems = []
        for fid in self.functions:
            logging = self.prop(fid, "LoggingConfig") or {}
            if logging.get("LogFormat") != "JSON":
                problems.append(f"{fid}: LoggingConfig.LogFormat must be JSON (shared::telemetry writes JSON lines)")
            if logging.get("SystemLogLevel") not in ("INFO", "DEBUG"):
                problems.append(f"{fid}: SystemLogLevel {logging.get('SystemLogLevel')!r} drops the START/REPORT lines (duration, memory, init); INFO keeps them")
            if self.prop(fid, "Tracing") != "Active":
                problems.append(f"{fid}: Tracing must be Active")
            group = logging.get("LogGroup")
            if group is not None:
                ref = group.get("Ref") if is_ref(group) else None
                res = self.resources.get(ref) if ref else None
                if not res or res.get("Type") != "AWS::Logs::LogGroup":
                    problems.append(f"{fid}: LoggingConfig.LogGroup must be !Ref of a log group in the template")
                elif "RetentionInDays" not in (res.get("Properties") or {}):
                    problems.append(f"{fid}: its log group {ref} has no RetentionInDays")
            # Lambda passes the application level on as AWS_LAMBDA_LOG_LEVEL; shared::telemetry
            # parses it as a tracing level, and a value it cannot parse (FATAL) would silently
            # mean INFO. The runtime, HTTP and SDK crates stay at INFO whatever it says.
            level = logging.get("ApplicationLogLevel")
            if is_ref(level):
                param = (self.tpl.get("Parameters") or {}).get(level["Ref"]) or {}
                allowed = param.get("AllowedValues")
                if allowed is None or set(allowed) - TRACING_LEVELS:
                    problems.append(f"{fid}: ApplicationLogLevel's parameter {level['Ref']} must allow only {sorted(TRACING_LEVELS)}, got {allowed}")
            elif level is not None and level not in TRACING_LEVELS:
                problems.append(f"{fid}: ApplicationLogLevel {level!r} is not one of {sorted(TRACING_LEVELS)}")
        return problems

    def check_permissions(self) -> list[str]:
        problems = []
        table_arn = self.table_arn()
        index = self.gsi_name()
        index_arn = table_arn + "/index/" + index
        for fid in self.functions:
            props = self.functions[fid].get("Properties") or {}
            crate = self.crate_of.get(fid)
            if "Role" in props:
                problems.append(f"{fid}: a Role replaces the per-function policies; keep Policies")
            on_table: set[str] = set()
            on_index: set[str] = set()
            on_exports: set[str] = set()
            for policy in as_list(props.get("Policies") or []):
                if not isinstance(policy, dict) or "Statement" not in policy:
                    problems.append(f"{fid}: policy {policy!r} is not an explicit statement (no managed policies or SAM policy templates)")
                    continue
                for st in as_list(policy["Statement"]):
                    actions = set(as_list(st.get("Action")))
                    if st.get("Effect") != "Allow" or "NotAction" in st or "NotResource" in st:
                        problems.append(f"{fid}: statements must be plain Allow/Action/Resource")
                    for a in sorted(actions):
                        if "*" in a or not a.startswith(("dynamodb:", "s3:", "secretsmanager:")):
                            problems.append(f"{fid}: action {a!r}: only named dynamodb:, s3: and secretsmanager: actions")
                    if any(a.startswith("secretsmanager:") for a in actions):
                        if not all(a.startswith("secretsmanager:") for a in actions):
                            problems.append(f"{fid}: secretsmanager: and other actions in one statement")
                        continue  # check_secret_access
                    s3 = {a for a in actions if a.startswith("s3:")}
                    if s3 and s3 != actions:
                        problems.append(f"{fid}: s3: and dynamodb: actions in one statement")
                    for res in as_list(st.get("Resource")):
                        if s3:
                            if isinstance(res, dict) and res.get("Fn::Sub") == EXPORT_OBJECTS:
                                on_exports |= actions
                            else:
                                problems.append(f"{fid}: resource {res!r}: s3: actions only on {EXPORT_OBJECTS}")
                        elif isinstance(res, dict) and res.get("Fn::Sub") == table_arn:
                            on_table |= actions
                        elif isinstance(res, dict) and res.get("Fn::Sub") == index_arn:
                            on_index |= actions
                        else:
                            problems.append(f"{fid}: resource {res!r}: only !Sub {table_arn} or its /index/{index}")
            if crate is None:
                continue
            want_table = TABLE_ACTIONS.get(crate, set())
            want_index = INDEX_ACTIONS.get(crate, set())
            want_exports = BUCKET_ACTIONS.get(crate, set())
            for label, got, want in (
                ("table", on_table, want_table),
                (f"index {index}", on_index, want_index),
                (EXPORT_OBJECTS, on_exports, want_exports),
            ):
                if got - want:
                    problems.append(f"{fid}: {label} grants {sorted(got - want)} that its code never calls")
                if want - got:
                    problems.append(f"{fid}: {label} lacks {sorted(want - got)} that its code calls (AccessDenied at run time)")
        return problems

    def table_arn(self) -> str:
        """The table's ARN as the role policies must write it: built from its fixed TableName,
        since !GetAtt Table.Arn would make a cycle (role -> table -> KMS key -> role)."""
        tables = self.of_type("AWS::DynamoDB::Table")
        if len(tables) != 1:
            raise ValueError("expected exactly one AWS::DynamoDB::Table")
        name = (next(iter(tables.values())).get("Properties") or {}).get("TableName")
        sub = name.get("Fn::Sub") if isinstance(name, dict) else name
        if not isinstance(sub, str):
            raise ValueError("the table needs a TableName (a string or !Sub) for the role policies to name it")
        return "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/" + sub

    def gsi_name(self) -> str:
        text = (self.repo / "shared/src/store/mod.rs").read_text(encoding="utf-8")
        m = re.search(r'pub const GSI1: &str = "([^"]+)"', text)
        if not m:
            raise ValueError("no `pub const GSI1` in shared/src/store/mod.rs")
        return m.group(1)

    def check_table(self) -> list[str]:
        tables = self.of_type("AWS::DynamoDB::Table")
        if len(tables) != 1:
            return [f"expected exactly one AWS::DynamoDB::Table, found {len(tables)}"]
        (tid, t), = tables.items()
        p = t.get("Properties") or {}
        problems = []
        for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
            if t.get(policy) != "Retain":
                problems.append(f"{tid}: {policy} must be Retain (it holds people's bank data)")
        if p.get("BillingMode") != "PAY_PER_REQUEST":
            problems.append(f"{tid}: BillingMode must be PAY_PER_REQUEST")
        types = {a.get("AttributeName"): a.get("AttributeType") for a in p.get("AttributeDefinitions") or []}
        keys = [(k.get("AttributeName"), k.get("KeyType")) for k in p.get("KeySchema") or []]
        if keys != TABLE_KEYS:
            problems.append(f"{tid}: KeySchema {keys}, expected {TABLE_KEYS}")
        index = self.gsi_name()
        gsis = {g.get("IndexName"): g for g in p.get("GlobalSecondaryIndexes") or []}
        if index not in gsis:
            problems.append(f"{tid}: no global secondary index {index!r} (shared/src/store/mod.rs GSI1)")
        else:
            g = gsis[index]
            gkeys = [(k.get("AttributeName"), k.get("KeyType")) for k in g.get("KeySchema") or []]
            if gkeys != GSI_KEYS:
                problems.append(f"{tid}: index {index} KeySchema {gkeys}, expected {GSI_KEYS}")
            if (g.get("Projection") or {}).get("ProjectionType") != "ALL":
                problems.append(f"{tid}: index {index} must project ALL (as setup.rs creates it)")
        for name, _ in TABLE_KEYS + GSI_KEYS:
            if types.get(name) != "S":
                problems.append(f"{tid}: attribute {name} must be defined with type S")
        item_rs = (self.repo / "shared/src/store/item.rs").read_text(encoding="utf-8")
        m = re.search(r'pub const TTL_ATTRIBUTE: &str = "([^"]+)"', item_rs)
        code_ttl = m.group(1) if m else None
        ttl = p.get("TimeToLiveSpecification") or {}
        if not ttl.get("Enabled") or ttl.get("AttributeName") != code_ttl:
            problems.append(
                f"{tid}: TTL must be enabled on the attribute the code writes "
                f"(shared/src/store/item.rs TTL_ATTRIBUTE = {code_ttl!r}); got {ttl}"
            )
        if not (p.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled"):
            problems.append(f"{tid}: point-in-time recovery must be enabled")
        sse = p.get("SSESpecification") or {}
        if not sse.get("SSEEnabled"):
            problems.append(f"{tid}: SSESpecification.SSEEnabled must be true")
        key = sse.get("KMSMasterKeyId")
        if sse.get("SSEType") != "KMS" or not any(is_getatt(key, k, "Arn") or is_ref(key, k) for k in self.of_type("AWS::KMS::Key")):
            problems.append(f"{tid}: SSESpecification must be SSEType KMS with KMSMasterKeyId the stack's AWS::KMS::Key (a customer-managed key)")
        return problems

    def check_kms_key(self) -> list[str]:
        """The customer-managed key: rotated, retained with the table, and a policy under which
        the account may administer it but only the stack's function roles may use it, and only
        through DynamoDB or Secrets Manager."""
        keys = self.of_type("AWS::KMS::Key")
        if len(keys) != 1:
            return [f"expected exactly one AWS::KMS::Key (the table's), found {len(keys)}"]
        (kid, key), = keys.items()
        p = key.get("Properties") or {}
        problems = []
        if p.get("EnableKeyRotation") is not True:
            problems.append(f"{kid}: EnableKeyRotation must be true")
        for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
            if key.get(policy) != "Retain":
                problems.append(f"{kid}: {policy} must be Retain (the retained table is unreadable without it)")
        if not any(is_ref((a.get("Properties") or {}).get("TargetKeyId"), kid) for a in self.of_type("AWS::KMS::Alias").values()):
            problems.append(f"{kid}: no AWS::KMS::Alias names it")
        roles = {f"{fid}Role": fid for fid in self.functions}
        dynamodb_users: set[str] = set()
        for st in as_list((p.get("KeyPolicy") or {}).get("Statement")):
            sid = st.get("Sid", "?")
            if st.get("Effect") != "Allow" or "NotAction" in st or "NotPrincipal" in st:
                problems.append(f"{kid}.{sid}: statements must be plain Allow/Principal/Action")
                continue
            use = [a for a in as_list(st.get("Action")) if KMS_USE.match(str(a))]
            principal = st.get("Principal")
            aws = as_list(principal.get("AWS") or []) if isinstance(principal, dict) else [principal]
            cond = st.get("Condition") or {}
            via = json.dumps((cond.get("StringEquals") or {}).get("kms:ViaService"))
            context = (cond.get("StringLike") or {}).get("kms:EncryptionContext:SecretARN")
            grant_for_aws = str((cond.get("Bool") or {}).get("kms:GrantIsForAWSResource")).lower() == "true"
            for who in aws:
                if who == "*":
                    problems.append(f"{kid}.{sid}: Principal * (name the roles)")
                    continue
                if not use:
                    continue
                role = who.get("Fn::GetAtt", [None])[0] if isinstance(who, dict) else None
                account = isinstance(who, dict) and "Fn::Sub" in who and ":root" in str(who["Fn::Sub"])
                if role in roles:
                    if "dynamodb." in via:
                        dynamodb_users.add(roles[role])
                    elif not ("secretsmanager." in via and context):
                        problems.append(f"{kid}.{sid}: {role} may use the key only via DynamoDB or, for one secret, Secrets Manager")
                elif account:
                    # The deployer: DynamoDB's grant at table creation, or a secret value it writes.
                    if not (("dynamodb." in via and set(use) == {"kms:CreateGrant"} and grant_for_aws)
                            or ("secretsmanager." in via and context)):
                        problems.append(f"{kid}.{sid}: the account may administer the key, not use it ({use})")
                else:
                    problems.append(f"{kid}.{sid}: {json.dumps(who)} may use the key; only the stack's function roles")
        for fid in sorted(set(self.functions) - dynamodb_users):
            problems.append(f"{kid}: {fid}Role may not use the key via DynamoDB: every table call would be refused")
        return problems

    def check_alarms(self) -> list[str]:
        """The alarms of docs/operations.md, each notifying the optional topic."""
        problems = []
        params = self.tpl.get("Parameters") or {}
        if (params.get(ALARM_TOPIC) or {}).get("Default") != "":
            problems.append(f"parameter {ALARM_TOPIC} must exist and default to \"\" (alarms without a topic)")
        watched = set()
        for aid, alarm in self.of_type("AWS::CloudWatch::Alarm").items():
            p = alarm.get("Properties") or {}
            for key in ("AlarmActions", "OKActions"):
                branches = (p.get(key) or {}).get("Fn::If") if isinstance(p.get(key), dict) else None
                if not (isinstance(branches, list) and len(branches) == 3 and branches[1] == [{"Ref": ALARM_TOPIC}]
                        and is_ref(branches[2], "AWS::NoValue")):
                    problems.append(f"{aid}: {key} must be !If [<condition>, [!Ref {ALARM_TOPIC}], !Ref AWS::NoValue]")
            metrics = [((m.get("MetricStat") or {}).get("Metric") or {}) for m in p.get("Metrics") or []]
            if "MetricName" in p:
                metrics.append(p)
            for m in metrics:
                if not m:
                    continue
                watched.add((m.get("Namespace"), m.get("MetricName")))
                if m.get("Namespace") == METRICS_NAMESPACE and m.get("MetricName") in UNDIMENSIONED_METRICS and m.get("Dimensions"):
                    problems.append(f"{aid}: {m.get('MetricName')} is published without dimensions (docs/operations.md); with Dimensions the alarm sees no data")
        for ns, name in sorted(REQUIRED_ALARM_METRICS - watched):
            problems.append(f"no alarm watches {ns} {name}")
        return problems

    def check_events(self) -> list[str]:
        problems = []
        for fid in self.functions:
            crate = self.crate_of.get(fid)
            if crate is None:
                continue
            path = self.repo / "events" / f"{crate}.json"
            if not path.is_file():
                problems.append(f"{fid}: events/{crate}.json is missing (sam local invoke -e, tests)")
                continue
            try:
                event = json.loads(path.read_text(encoding="utf-8"))
            except ValueError as e:
                problems.append(f"events/{crate}.json is not JSON: {e}")
                continue
            if not isinstance(event, dict):
                problems.append(f"events/{crate}.json is not a JSON object")
                continue
            routes = [(str(p.get("Method", "")).upper(), p.get("Path")) for _, p in self.http_events(fid)]
            if len(routes) == 1:
                method, route = routes[0]
                ctx = event.get("requestContext") or {}
                if event.get("version") != "2.0":
                    problems.append(f"events/{crate}.json: version {event.get('version')!r}; HTTP API payload 2.0")
                if event.get("routeKey") != f"{method} {route}":
                    problems.append(f"events/{crate}.json: routeKey {event.get('routeKey')!r}, template routes {method} {route}")
                if (ctx.get("http") or {}).get("method") != method:
                    problems.append(f"events/{crate}.json: requestContext.http.method is not {method}")
                pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(route)) + "$"
                if not re.match(pattern, str(event.get("rawPath"))):
                    problems.append(f"events/{crate}.json: rawPath {event.get('rawPath')!r} does not match {route} (no stage prefix on $default)")
                if ctx.get("stage", "$default") != "$default":
                    problems.append(f"events/{crate}.json: stage {ctx.get('stage')!r}; the template deploys $default")
            kinds = [e.get("Type") for e in self.events(fid).values()]
            if kinds == ["Schedule"] and event.get("source") != "aws.events":
                problems.append(f"events/{crate}.json: a Schedule event comes from aws.events (EventBridge rule)")
            if kinds == ["ScheduleV2"]:
                raw = (next(iter(self.events(fid).values())).get("Properties") or {}).get("Input")
                try:
                    delivered = json.loads(raw) if isinstance(raw, str) else None
                except ValueError:
                    delivered = None
                if not isinstance(delivered, dict):
                    problems.append(f"{fid}: the ScheduleV2 Input must be a JSON object (Lambda targets need JSON)")
                elif set(event) != set(delivered) or event.get("source") != delivered.get("source"):
                    problems.append(f"events/{crate}.json: keys {sorted(event)}, but the schedule delivers {sorted(delivered)} (its Input)")
        return problems

    def check_env_json(self) -> list[str]:
        """events/env.json (sam local invoke --env-vars, make invoke) against the template.
        SAM passes a function only the variables the template declares for it: a key nobody
        declares is silently dropped, and a declared one missing here keeps the template's value
        (unresolvable locally). "Parameters" applies to every function that declares the key."""
        path = self.repo / "events" / "env.json"
        if not path.is_file():
            return []
        env = json.loads(path.read_text(encoding="utf-8"))
        problems = []
        shared = set(env.get("Parameters") or {})
        declared_anywhere: set[str] = set()
        for section in sorted(set(env) - {"Parameters"} - set(self.functions)):
            problems.append(f"events/env.json: section {section!r} is not a function of the template")
        for fid in self.functions:
            declared = set(self.env_of(fid))
            declared_anywhere |= declared
            own = set(env.get(fid) or {})
            for name in sorted(own - declared):
                problems.append(f"events/env.json: {fid}.{name} is not declared by {fid} (SAM drops it)")
            missing = sorted(declared - own - shared)
            if missing:
                problems.append(f"events/env.json lacks {', '.join(missing)} for {fid}")
        for name in sorted(shared - declared_anywhere):
            problems.append(f"events/env.json: Parameters.{name} is declared by no function (SAM drops it)")
        return problems

    def check_outputs(self) -> list[str]:
        outputs = self.tpl.get("Outputs") or {}
        api_ids = list(self.of_type("AWS::Serverless::HttpApi"))
        tables = list(self.of_type("AWS::DynamoDB::Table"))
        problems = []

        def mentions(value: Any, rid: str) -> bool:
            return rid in json.dumps(value)

        if not any(api_ids and mentions(o.get("Value"), "${" + api_ids[0] + "}") for o in outputs.values()):
            problems.append("no output gives the API URL")
        if not any(tables and is_ref(o.get("Value"), tables[0]) for o in outputs.values()):
            problems.append("no output gives the table name")
        return problems

    def check_parameters_used(self) -> list[str]:
        """cfn-lint skips its unused-parameter rule on SAM templates."""
        body = json.dumps({k: v for k, v in self.tpl.items() if k != "Parameters"})
        return [
            f"parameter {name} is never used"
            for name in (self.tpl.get("Parameters") or {})
            if f'{{"Ref": "{name}"}}' not in body and "${" + name + "}" not in body
        ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[2])
    args = parser.parse_args(argv)
    report = Checker(args.repo).run()
    for failure in report.failures:
        print(f"FAIL {failure}")
    failed_checks = len({f.split(":", 1)[0] for f in report.failures})
    print(f"template: {report.passed} passed, {failed_checks} failed")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
