"""``hadir``: the one entry point for local operations.

    hadir run                      everything, embedded: Kafka, the four services, the demo tenant
    hadir services                 the four services only, configured by HADIR_* variables
    hadir demo                     load the demo tenant (Pemprov Banten) into running services
    hadir token --role employee …  a development bearer token
    hadir apikey create --tenant T an integrator's API key (also: list, revoke ID)
    hadir tenant-ref T             the opaque reference that labels tenant T's metrics
    hadir kafka start|stop|status  the local Apache Kafka broker

Each command is a small function; the work is in ``runner`` (var dir, broker, services),
``supervisor`` (stopping what was started), ``demo`` (data), ``kafka`` (brokers).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Annotated

import httpx
import typer

from services.runtime import apikeys, devkeys
from services.runtime.auth import ROLES
from services.runtime.metrics import TenantRefs
from services.runtime.settings import REPO_ROOT, Settings
from tools import demo, ports, runner
from tools.kafka import cli as kafka_cli
from tools.kafka import cluster as kafka_local
from tools.seed import Seeder, SeedError
from tools.suite import Suite
from tools.supervisor import Console, Supervisor, unbuffered

app = typer.Typer(
    help="Hadir: local operations (jalankan Hadir di mesin ini). Run `hadir run` to start everything.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
kafka_app = typer.Typer(help="The local Apache Kafka broker (from Maven Central jars, no Docker).",
                        no_args_is_help=True)
app.add_typer(kafka_app, name="kafka")

DEFAULT_VAR_DIR = Path(os.environ.get("HADIR_VAR_DIR") or REPO_ROOT / "var")
VarDir = Annotated[Path, typer.Option(help="State directory: SQLite databases, dev keys, logs, Kafka data.")]
BasePort = Annotated[int, typer.Option(help="Port of checkin; policy, notify, reporting follow (+1, +2, +3).")]
ReadyTimeout = Annotated[float, typer.Option(help="Seconds to wait for every /readyz.")]


# ------------------------------------------------------------------------- run


@app.command()
def run(
    fresh: Annotated[bool, typer.Option("--fresh", help="Wipe the databases (and a stopped broker's data).")] = False,
    no_demo: Annotated[bool, typer.Option("--no-demo", help="Do not load the demo tenant.")] = False,
    kafka_port: Annotated[int, typer.Option(
        help="Port of the Kafka broker this run starts on 127.0.0.1 (its controller uses port+1000); "
             f"at most {ports.MAX_PORT - 1000}. A port in use by anything else is refused.")] = 9092,
    base_port: BasePort = 8001,
    var_dir: VarDir = DEFAULT_VAR_DIR,
    ready_timeout: ReadyTimeout = 120,
) -> None:
    """Run the whole suite here / Jalankan seluruh Hadir: Kafka, four services on SQLite, demo data.

    Ctrl-C stops everything this command started (Tekan Ctrl-C untuk berhenti).
    """
    console = Console()
    supervisor = Supervisor(console)
    var_dir = var_dir.resolve()
    service_ports = runner.service_ports(base_port)

    def body() -> int:
        supervisor.on_exit("var dir lock", runner.hold_var_dir(var_dir).close)
        runner.ensure_ports_free(service_ports.values())
        kafka_dir = runner.kafka_data_dir(var_dir, kafka_port)
        runner.check_kafka_port(kafka_port, kafka_dir)
        if fresh:
            running = kafka_local.attach(kafka_dir) is not None
            runner.wipe(var_dir, None if running else kafka_dir, console.say)
        private_key, jwks = devkeys.ensure_dev_keys(var_dir / "dev-keys")
        kafka = runner.ensure_kafka(kafka_port, kafka_dir, console.say)
        if kafka.stop is not None:
            supervisor.on_exit("Kafka", kafka.stop)
        console.say(f"Kafka: {kafka.description}")
        env = runner.run_env(var_dir, kafka.bootstrap, jwks)
        console.say(f"starting {', '.join(service_ports)} (logs in {var_dir / 'logs'}; consumer groups "
                    f"hadir-*-{env['HADIR_INSTANCE']}) ...")
        suite = runner.start_suite(supervisor, var_dir / "logs", service_ports, env)
        suite.wait_ready(ready_timeout, say=console.say)
        console.say(f"all four services ready after {console.elapsed():.1f}s")
        if not no_demo:
            _load_demo(suite["policy"].url, suite["reporting"].url, private_key, console)
        print(welcome(suite, kafka.description, var_dir, private_key, demo_loaded=not no_demo), flush=True)
        return runner.watch(suite, console.say)

    with unbuffered():
        code = supervisor.run(body)
    raise typer.Exit(code)


def _load_demo(policy_url: str, reporting_url: str, private_key: Path, console: Console) -> None:
    async def load() -> str | None:
        async with httpx.AsyncClient(timeout=15) as http:
            admin = Seeder(http, policy_url, _bearer(private_key, "tenant_admin"))
            console.say(f"demo: {(await demo.load(admin)).summary()}")
            return await demo.wait_until_reported(admin, reporting_url, timeout=30)

    problem = asyncio.run(load())
    if problem is None:
        console.say("demo: events reached the reporting service")
    else:
        console.say(f"demo: WARNING the daily report does not show the demo letter after 30s ({problem}); "
                    "see the service logs")


def _bearer(private_key: Path, role: str, person: demo.DemoEmployee | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(private_key, role, person)}"}


def _token(private_key: Path, role: str, person: demo.DemoEmployee | None = None) -> str:
    if person is None:
        return devkeys.issue_token(private_key, subject=f"admin@{demo.TENANT_ID}", roles=[role],
                                   tenant=demo.TENANT_ID)
    return devkeys.issue_token(private_key, subject=person.nip, roles=[role], tenant=demo.TENANT_ID,
                               nip=person.nip, unit=person.unit_id)


def welcome(suite: Suite, kafka: str, var_dir: Path, private_key: Path, demo_loaded: bool) -> str:
    """What to do next: URLs, tokens to paste, a check-in and a report with curl."""
    lines = ["", "Hadir is running / Hadir sudah berjalan", ""]
    lines += [f"  {name:<10} {proc.url}   API docs: {proc.url}/docs" for name, proc in suite.processes.items()]
    lines += [f"  {'Kafka':<10} {kafka}", f"  {'data':<10} SQLite files, dev keys and logs in {var_dir}", ""]
    if not demo_loaded:
        lines += ["Load the demo tenant with `hadir demo`; make tokens with `hadir token`.", ""]
        return "\n".join(lines)
    person, head = demo.sample_employee(), demo.sample_head()
    checkin, reporting = suite["checkin"].url, suite["reporting"].url
    lat, lon = person.home
    now = "'\"$(date -Iseconds)\"'"  # leaves the single quotes for the shell's clock, comes back
    body = ('{"kind": "location", "captured_at": "' + now + '", "location": '
            + json.dumps({"latitude": lat, "longitude": lon + 0.0003, "accuracy_m": 10}) + "}")
    lines += [
        "Tokens for the demo tenant `banten` (valid 12 h); paste into your shell / tempel ke shell:",
        f"  export ADMIN_TOKEN={_token(private_key, 'tenant_admin')}",
        f"  export HEAD_TOKEN={_token(private_key, 'unit_head', head)}   # {head.name}, BKD",
        f"  export EMPLOYEE_TOKEN={_token(private_key, 'employee', person)}   # {person.name}, NIP {person.nip}",
        "",
        "Check in from home / Kirim lokasi dari rumah:",
        f"  curl -s -X POST {checkin}/v1/checkins -H \"Authorization: Bearer $EMPLOYEE_TOKEN\" \\",
        f"    -H 'Content-Type: application/json' -d '{body}'",
        f"  curl -s {checkin}/v1/checkins/mine -H \"Authorization: Bearer $EMPLOYEE_TOKEN\"   # verdict / hasil",
        "Daily report / Laporan harian:",
        f"  curl -s {reporting}/v1/reports/daily -H \"Authorization: Bearer $ADMIN_TOKEN\"",
        "",
        "The letter's windows are Mon-Fri 07:00-16:00 WIB. To try a check-in at any other time, open a practice",
        "window first / buka jendela latihan:",
        f"  hadir demo --practice-window 30 --policy-url {suite['policy'].url} --var-dir {var_dir}",
        "",
        "Press Ctrl-C to stop / Tekan Ctrl-C untuk berhenti.",
    ]
    return "\n".join(lines)


# -------------------------------------------------------------------- services


@app.command()
def services(base_port: BasePort = 8001, var_dir: VarDir = DEFAULT_VAR_DIR,
             ready_timeout: ReadyTimeout = 120) -> None:
    """Run the four services only, against whatever the HADIR_* environment says (Kafka, databases).

    Logs go to <var-dir>/logs. Ctrl-C stops them.
    """
    console = Console()
    supervisor = Supervisor(console)
    service_ports = runner.service_ports(base_port)

    def body() -> int:
        runner.ensure_ports_free(service_ports.values())
        suite = runner.start_suite(supervisor, var_dir.resolve() / "logs", service_ports, {})
        suite.wait_ready(ready_timeout, say=console.say)
        for name, proc in suite.processes.items():
            print(f"  {name:<10} {proc.url}   API docs: {proc.url}/docs", flush=True)
        print("Press Ctrl-C to stop / Tekan Ctrl-C untuk berhenti.", flush=True)
        return runner.watch(suite, console.say)

    with unbuffered():
        code = supervisor.run(body)
    raise typer.Exit(code)


# ------------------------------------------------------------------------- demo


@app.command("demo")
def demo_command(
    policy_url: Annotated[str, typer.Option(help="Base URL of the running policy service.")] = "http://127.0.0.1:8002",
    var_dir: VarDir = DEFAULT_VAR_DIR,
    practice_window: Annotated[int, typer.Option(
        help="Also add a check-in window open now for this many minutes, every day (jendela latihan).")] = 0,
) -> None:
    """Load the demo tenant / Muat data contoh: Pemprov Banten, its OPD, ASN and SE 800/258-BKD/2022.

    Idempotent: what exists unchanged is left alone. Goes through the policy HTTP API, so events flow.
    """
    private_key, _ = devkeys.ensure_dev_keys(var_dir.resolve() / "dev-keys")

    async def load() -> None:
        async with httpx.AsyncClient(timeout=15) as http:
            admin = Seeder(http, policy_url, _bearer(private_key, "tenant_admin"))
            typer.echo((await demo.load(admin)).summary())
            if practice_window:
                version = await demo.add_practice_window(admin, practice_window)
                window = next(w for w in version["content"]["windows"] if w["id"] == demo.PRACTICE_WINDOW_ID)
                typer.echo(f"SE {demo.POLICY_NUMBER} v{version['version']}: practice window "
                           f"{window['start']}-{window['end']} WIB, every day")

    try:
        asyncio.run(load())
    except (SeedError, httpx.HTTPError) as exc:
        typer.echo(f"hadir demo: error: {exc!r} (is the policy service running at {policy_url}?)", err=True)
        raise typer.Exit(1) from None


# ------------------------------------------------------------------------ token


@app.command()
def token(
    role: Annotated[list[str], typer.Option(help=f"Role, repeatable: {', '.join(sorted(ROLES))}.")],
    tenant: Annotated[str, typer.Option(help="Tenant id (the demo tenant is `banten`).")] = demo.TENANT_ID,
    nip: Annotated[str | None, typer.Option(help="Employee NIP (18 digits); needed to check in.")] = None,
    unit: Annotated[str | None, typer.Option(help="Unit id, e.g. `bkd`; scopes a unit_head.")] = None,
    subject: Annotated[str | None, typer.Option(help="Token subject (default: the NIP, else admin@tenant).")] = None,
    ttl_hours: Annotated[float, typer.Option(help="Validity in hours.")] = 12,
    var_dir: VarDir = DEFAULT_VAR_DIR,
) -> None:
    """Print a development bearer token signed with <var-dir>/dev-keys (Token untuk pengembangan).

    Example: curl -H "Authorization: Bearer $(hadir token --role employee --nip … --unit bkd)" …
    """
    unknown = sorted(set(role) - ROLES)
    if unknown:
        raise typer.BadParameter(f"unknown role(s) {unknown}; choose from {sorted(ROLES)}", param_hint="--role")
    private_key, _ = devkeys.ensure_dev_keys(var_dir.resolve() / "dev-keys")
    typer.echo(devkeys.issue_token(
        private_key, subject=subject or nip or f"{role[0]}@{tenant}", roles=role, tenant=tenant or None,
        nip=nip, unit=unit, ttl_seconds=int(ttl_hours * 3600),
    ))


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True}, add_help_option=False)
def simulate(ctx: typer.Context) -> None:
    """Simulate one working day against a running suite and compare the report with the ground truth.

    Simulasi satu hari kerja. All options are the simulator's own (see --help)."""
    from tools.simulate import cli as simulation

    raise typer.Exit(simulation.main(ctx.args))


@app.command("tenant-ref")
def tenant_ref(tenant: Annotated[str, typer.Argument(help="Tenant id, e.g. `banten`.")]) -> None:
    """Print the opaque reference that labels TENANT's metrics (tenant_ref), with the key in
    $HADIR_METRICS_TENANT_KEY (/metrics never names a tenant)."""
    key = Settings().tenant_refs_key()
    if key is None:
        raise typer.BadParameter("set HADIR_METRICS_TENANT_KEY to the services' key", param_hint="TENANT")
    typer.echo(TenantRefs(key)(tenant))


# ----------------------------------------------------------------------- apikey


@app.command()
def apikey(
    action: Annotated[str, typer.Argument(help="create | list | revoke")],
    key_id: Annotated[str | None, typer.Argument(help="The key to revoke.")] = None,
    tenant: Annotated[str | None, typer.Option(help="Tenant the new key acts for.")] = None,
    role: Annotated[list[str] | None, typer.Option(help="Role, repeatable (default integrator).")] = None,
    description: Annotated[str, typer.Option(help="Who uses the key, e.g. SIKAP.")] = "",
    var_dir: VarDir = DEFAULT_VAR_DIR,
) -> None:
    """API keys for integrators (X-API-Key): the secret is printed once, only its SHA-256 is kept
    in <var-dir>/api-keys.json ($HADIR_API_KEYS_FILE overrides), which the services re-read."""
    path = apikeys.default_path(var_dir.resolve())
    try:
        if action == "create" and tenant:
            key, secret = apikeys.create(path, tenant=tenant, roles=tuple(role or ("integrator",)),
                                         description=description)
            typer.echo(secret)
            typer.echo(f"key {key.id} for tenant {key.tenant} ({', '.join(key.roles)}) stored in {path}; "
                       "the secret is not shown again", err=True)
        elif action == "revoke" and key_id:
            typer.echo(f"key {apikeys.revoke(path, key_id).id} revoked")
        elif action == "list":
            for k in apikeys.load(path):
                scoped = f" [{','.join(k.scopes)}]" if k.scopes is not None else ""
                typer.echo(f"{k.id}  {k.tenant}  {','.join(k.roles)}{scoped}  {k.created_at}  "
                           f"{'revoked ' + k.revoked_at if k.revoked_at else 'active'}  {k.description}")
        else:
            raise typer.BadParameter("use: create --tenant T | list | revoke KEY_ID", param_hint="ACTION")
    except apikeys.ApiKeyError as exc:
        raise typer.BadParameter(str(exc)) from None


# ------------------------------------------------------------------------ kafka

KafkaDir = Annotated[Path, typer.Option(help="Cluster state and logs.")]


@kafka_app.command("start")
def kafka_start(
    data_dir: KafkaDir = kafka_local.DEFAULT_DATA_DIR,
    port: Annotated[int | None, typer.Option(help="Broker port (default 9092; controller on port+1000).")] = None,
    nodes: Annotated[int | None, typer.Option(help="1 (default) or 3 nodes on loopback.")] = None,
    foreground: Annotated[bool, typer.Option(help="Keep running; Ctrl-C stops the broker.")] = False,
) -> None:
    """Start the local broker (downloads the jars once) and wait until it serves metadata."""
    args = ["start", "--data-dir", str(data_dir)]
    args += ["--port", str(port)] if port else []
    args += ["--nodes", str(nodes)] if nodes else []
    args += ["--foreground"] if foreground else []
    raise typer.Exit(kafka_cli.main(args))


@kafka_app.command("stop")
def kafka_stop(data_dir: KafkaDir = kafka_local.DEFAULT_DATA_DIR) -> None:
    """Stop the local broker."""
    raise typer.Exit(kafka_cli.main(["stop", "--data-dir", str(data_dir)]))


@kafka_app.command("status")
def kafka_status(data_dir: KafkaDir = kafka_local.DEFAULT_DATA_DIR) -> None:
    """Show each node's state; exit status 0 when all are up and ready."""
    raise typer.Exit(kafka_cli.main(["status", "--data-dir", str(data_dir)]))


if __name__ == "__main__":
    app()
