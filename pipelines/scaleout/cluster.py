"""`python -m pipelines serve start|status|stop`: the Serve application (`pipelines.scaleout.app`) on a local
Ray instance bound to loopback, whose every process asks its callers for a token.

`start` launches a supervisor process of its own (`python -m pipelines.scaleout.cluster`) that starts Ray
with a temp dir of its own, deploys every model, and then keeps the application's status in
SHOWROOM_HOME/serve/status.json until it is told to stop. Its environment is set before any of Ray's
processes exist, so all of them inherit it:
- RAY_AUTH_MODE=token with RAY_AUTH_TOKEN_PATH=SHOWROOM_HOME/serve/auth_token (made on first start,
  mode 0600): Ray's gRPC servers refuse a caller without the token, and so do the application's replicas
  over HTTP (`pipelines.scaleout.guard`);
- RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, Ray's switch for a one-machine Ray: every process takes 127.0.0.1
  as its node's address, so its servers bind loopback where Ray lets them (SECURITY.md lists the rest);
- the allocator's limits (`pipelines.runtime.memory.ALLOCATOR_ENVIRONMENT`), read by glibc as each process starts.
- Ray Serve's HAProxy ingress, HAProxy's own listeners kept on loopback (`pipelines.runtime.haproxy_loopback`),
  set by the supervisor itself: its files live under Ray's temp dir, which the supervisor makes.
`stop` asks the supervisor to shut Ray down, then stops by process id whatever is left of the processes
started under its temp dir (never `ray stop`, which would stop every Ray on the machine), and signals the
supervisor only if its id, start time and command line are still those `start` wrote down.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from pipelines.errors import ModelNotAvailable
from pipelines.provisioning.staging import write_json
from pipelines.runtime.haproxy_loopback import free_port
from pipelines.runtime.memory import ALLOCATOR_ENVIRONMENT
from pipelines.runtime.processes import ProcessIdentity, running
from pipelines.settings import PROJECT, load_settings

LOOPBACK = "127.0.0.1"
START_TIMEOUT_SECONDS = 600.0  # every replica loads its model before `start` returns
_STATUS_EVERY_SECONDS = 2.0
_STOP_GRACE_SECONDS = 20.0


@dataclass(frozen=True)
class ServeState:
    """Where the application runs: its HTTP URL, its supervisor (id, start time and command line, so a
    reused id is never mistaken for it), Ray's temp dir and its control service's address."""

    url: str
    supervisor: ProcessIdentity
    temp_dir: str
    gcs_address: str

    @classmethod
    def from_json(cls, data: dict) -> ServeState:
        return cls(**(data | {"supervisor": ProcessIdentity(**data["supervisor"])}))


def serve_dir() -> Path:
    return load_settings().home / "serve"


def read_state() -> ServeState | None:
    """The state `start` wrote, or None (also for a file of another version: nothing in it can be trusted)."""
    path = serve_dir() / "state.json"
    if not path.is_file():
        return None
    try:
        return ServeState.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError, KeyError):
        return None


def ensure_token() -> Path:
    """The token file Ray's processes and the application's callers share: made on first start with a
    random token, readable and writable by its owner alone (0600) whatever it was before."""
    path = load_settings().serve_token_path
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        path.chmod(0o600)
        return path
    with os.fdopen(descriptor, "w", encoding="utf-8") as token:
        token.write(secrets.token_urlsafe(32))
    return path


def ray_environment() -> dict[str, str]:
    """What the supervisor's environment adds, so that every Ray process inherits it from its start."""
    return {
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN_PATH": str(ensure_token()),
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        **ALLOCATOR_ENVIRONMENT,
    }


def start(host: str = LOOPBACK, port: int = 8000, replicas: dict[str, int] | None = None) -> ServeState:
    """Start the supervisor and return once every replica has loaded its model (or say why not);
    `replicas` gives a model more than one (the chat load test compares 1 and 2)."""
    if (previous := read_state()) is not None and previous.supervisor.is_running():
        raise ModelNotAvailable(f"The model server already runs at {previous.url}; stop it first (`serve stop`).")
    serve_dir().mkdir(parents=True, exist_ok=True)
    for name in ("state.json", "status.json"):
        (serve_dir() / name).unlink(missing_ok=True)
    log = serve_dir() / "serve.log"
    environment = os.environ | {"PYTHONPATH": str(PROJECT), "SHOWROOM_HOME": str(load_settings().home)}
    environment |= ray_environment()
    environment.pop("SHOWROOM_SERVE_URL", None)  # the replicas serve; they are nobody's clients
    with log.open("w", encoding="utf-8") as output:
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "pipelines.scaleout.cluster", host, str(port), json.dumps(replicas or {})],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the shell that ran `start` does not reach it
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while (state := read_state()) is None:
        if supervisor.poll() is not None or time.monotonic() > deadline:
            supervisor.kill()
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
            raise ModelNotAvailable(f"The model server did not start ({' '.join(tail) or 'no output'}); see {log}.")
        time.sleep(0.5)
    return state


def status() -> dict:
    """The application's deployments (name, model, replicas running, state), as the supervisor last saw them."""
    state = read_state()
    path = serve_dir() / "status.json"
    if state is None or not state.supervisor.is_running() or not path.is_file():
        raise ModelNotAvailable("The model server is not running. Start it with `python -m pipelines serve start`.")
    return {"url": state.url, **json.loads(path.read_text(encoding="utf-8"))}


def stop() -> list[int]:
    """Stop the application and the processes it started, and only those; their process ids."""
    state = read_state()
    if state is None:
        return []
    supervisor = state.supervisor
    ours = supervisor.is_running()  # a stale file's pid may now be anybody's process: then it is left alone
    processes = ray_processes(Path(state.temp_dir)) | ({supervisor.pid} if ours else set())
    if ours:
        _signal(supervisor.pid, signal.SIGTERM)  # it shuts Serve and Ray down in order
    deadline = time.monotonic() + _STOP_GRACE_SECONDS
    while supervisor.is_running() and time.monotonic() < deadline:
        time.sleep(0.2)
    # Agents orphaned by the raylet's exit no longer descend from it: the set taken before counts them.
    leftovers = {pid for pid in processes | ray_processes(Path(state.temp_dir)) if running(pid)}
    for pid in leftovers:
        _signal(pid, signal.SIGKILL)  # what did not stop in time
    deadline = time.monotonic() + _STOP_GRACE_SECONDS
    while any(running(pid) for pid in leftovers) and time.monotonic() < deadline:
        time.sleep(0.1)
    for name in ("state.json", "status.json"):
        (serve_dir() / name).unlink(missing_ok=True)
    return sorted(processes)


def ray_processes(temp_dir: Path) -> set[int]:
    """Ray's processes for `temp_dir`: those that name it on their command line, and their descendants
    (workers rename themselves, "ray::ServeReplica", but stay the raylet's children)."""
    command = ["ps", "-ww", "-eo", "pid=,ppid=,args="]  # -ww: whole command lines, whatever COLUMNS says
    listing = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    parents: dict[int, int] = {}
    found: set[int] = set()
    for line in listing.splitlines():
        pid, ppid, *args = line.split(maxsplit=2)
        parents[int(pid)] = int(ppid)
        if args and str(temp_dir) in args[0]:
            found.add(int(pid))
    while children := {pid for pid, ppid in parents.items() if ppid in found and pid not in found}:
        found |= children
    return {pid for pid in found if running(pid)}


def supervise(host: str, port: int, replicas: dict[str, int]) -> None:
    """The supervisor: Ray and the application up, the status file kept fresh, all down on SIGTERM."""
    import ray
    from ray import serve

    from pipelines.runtime.haproxy_loopback import haproxy_environment
    from pipelines.scaleout.app import LIGHT, deploy, layout, served_models

    models = served_models()
    if not models:
        raise SystemExit("No model is provisioned to serve. Run `python -m pipelines models pull` first.")
    light, alone = layout(models)
    members = ({LIGHT: [name for name, _ in light]} if light else {}) | {name: [name] for name, _ in alone}
    if unknown := sorted(set(replicas) - set(members)):
        names = ", ".join(unknown)
        raise SystemExit(
            f"{names}: not a model with replicas of its own here, nor the {LIGHT!r} group; "
            "see `python -m pipelines serve config`."
        )
    temp_dir = Path(tempfile.mkdtemp(prefix="showroom-ray-"))  # short: Ray's socket paths must fit 107 bytes
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    os.environ.update(haproxy_environment(temp_dir / "h"))  # before Ray starts: its processes inherit it
    try:
        _start_ray(temp_dir, cpus=sum(replicas.get(name, 1) for name in members) + 1)  # one per replica, +1
        serve.start(http_options={"host": host, "port": port})
        deploy(models, replicas)
        write_json(serve_dir() / "status.json", _deployments(serve.status(), members))
        myself = ProcessIdentity.of(os.getpid())
        gcs = ray.get_runtime_context().gcs_address
        write_json(serve_dir() / "state.json", asdict(ServeState(f"http://{host}:{port}", myself, str(temp_dir), gcs)))
        print(f"serving {len(models)} models at http://{host}:{port}", flush=True)
        while not stopping:
            time.sleep(_STATUS_EVERY_SECONDS)
            write_json(serve_dir() / "status.json", _deployments(serve.status(), members))
    finally:
        if ray.is_initialized():
            serve.shutdown()
            ray.shutdown()
        _end(ray_processes(temp_dir))  # `ray start` leaves its processes to whoever stops them


def _start_ray(temp_dir: Path, cpus: int) -> None:
    """Ray's head on loopback, by `ray start` with its temp dir (short: Ray's socket paths must fit 107 bytes),
    then this process as its driver. `ray start`, not `ray.init`: only it can leave out the autoscaler's monitor
    and the log monitor (160 MB together) that a one-node application shipping no logs to a driver never uses."""
    import ray

    port = free_port()
    command = [str(Path(sys.executable).with_name("ray")), "start", "--head", f"--port={port}", f"--num-cpus={cpus}"]
    command += [f"--node-ip-address={LOOPBACK}", f"--temp-dir={temp_dir}", "--disable-usage-stats"]
    command += ["--no-monitor", "--include-log-monitor=false", "--include-dashboard=false"]
    started = subprocess.run(command, capture_output=True, text=True)
    if started.returncode != 0:
        raise SystemExit(f"Ray did not start: {' '.join(started.stderr.strip().splitlines()[-1:])}")
    ray.init(address=f"{LOOPBACK}:{port}", logging_level="ERROR", log_to_driver=False)


def _end(pids: set[int]) -> None:
    """SIGTERM, and SIGKILL to whatever has not ended within the grace period."""
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_GRACE_SECONDS
    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in pids:
        if running(pid):
            _signal(pid, signal.SIGKILL)


def _deployments(serve_status: object, members: dict[str, list[str]]) -> dict:
    """Each deployment, the models its replicas hold, how many replicas run, and its state."""
    return {
        "deployments": [
            {
                "name": name,
                "models": members.get(application_name, [application_name]),
                "replicas": deployment.replica_states.get("RUNNING", 0),
                "state": str(deployment.status.value),
            }
            for application_name, application in serve_status.applications.items()  # type: ignore[attr-defined]
            for name, deployment in application.deployments.items()
        ]
    }


def _signal(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
        os.kill(pid, number)


if __name__ == "__main__":
    supervise(sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]))
