"""`python -m pipelines serve start|status|stop`: the Serve application (`pipelines.scaleout.app`) on a local
Ray instance bound to loopback, whose every process asks its callers for a token.

`start` makes Ray's temp dir and runs a deployer (`python -m pipelines.scaleout.cluster`) that starts Ray there
with `ray start`, deploys every model as Ray's driver, writes SHOWROOM_HOME/serve/state.json and exits: Ray and
the application run on without it, so no process of Showroom's holds Ray's libraries (210 MB) while they serve.
A deployer that fails stops what it started; one that dies is cleaned up after by `start`, by the temp dir. The
deployer's environment is set before any of Ray's processes exist, so all of them inherit it:
- RAY_AUTH_MODE=token with RAY_AUTH_TOKEN_PATH=SHOWROOM_HOME/serve/auth_token (made on first start,
  mode 0600): Ray's gRPC servers refuse a caller without the token, and so do the application's replicas
  over HTTP (`pipelines.scaleout.guard`);
- RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, Ray's switch for a one-machine Ray: every process takes 127.0.0.1
  as its node's address, so its servers bind loopback where Ray lets them (SECURITY.md lists the rest);
- the allocator's limits (`pipelines.runtime.memory.ALLOCATOR_ENVIRONMENT`), read by glibc as each process starts.
- Ray Serve's HAProxy ingress, HAProxy's own listeners kept on loopback (`pipelines.runtime.haproxy_loopback`),
  set by the deployer itself: its files live under Ray's temp dir.
`status` reads Serve's status from a driver in a process of its own. `stop` stops by process id the
processes started under the temp dir and their descendants (never `ray stop`, which would stop every Ray on the
machine): a process is the application's only if its command line names that temp dir, or it descends from one
that does, so a reused process id is never mistaken for it.
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
from pipelines.runtime.processes import process_table, running, with_descendants
from pipelines.settings import PROJECT, load_settings

LOOPBACK = "127.0.0.1"
START_TIMEOUT_SECONDS = 600.0  # every replica loads its model before `start` returns
_STOP_GRACE_SECONDS = 20.0
_STATUS_SECONDS = 60.0
_THIS_MODULE = (sys.executable, "-m", "pipelines.scaleout.cluster")


@dataclass(frozen=True)
class ServeState:
    """Where the application runs: its HTTP URL, Ray's temp dir and control service's address, and the models
    each application's replicas hold."""

    url: str
    temp_dir: str
    gcs_address: str
    members: dict[str, list[str]]

    @classmethod
    def from_json(cls, data: dict) -> ServeState:
        return cls(**data)

    def is_running(self) -> bool:
        return bool(ray_processes(Path(self.temp_dir)))


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
    """What Ray's processes, and every driver of theirs, need in their environment from their start."""
    return {
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN_PATH": str(ensure_token()),
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        **ALLOCATOR_ENVIRONMENT,
    }


def start(host: str = LOOPBACK, port: int = 8000, replicas: dict[str, int] | None = None) -> ServeState:
    """Deploy and return once every replica has loaded its model (or say why not, having stopped whatever was
    started); `replicas` gives a model more than one (the chat load test compares 1 and 2)."""
    if (previous := read_state()) is not None and previous.is_running():
        raise ModelNotAvailable(f"The model server already runs at {previous.url}; stop it first (`serve stop`).")
    serve_dir().mkdir(parents=True, exist_ok=True)
    (serve_dir() / "state.json").unlink(missing_ok=True)
    log = serve_dir() / "serve.log"
    environment = os.environ | {"PYTHONPATH": str(PROJECT), "SHOWROOM_HOME": str(load_settings().home)}
    environment |= ray_environment()
    environment.pop("SHOWROOM_SERVE_URL", None)  # the replicas serve; they are nobody's clients
    temp_dir = tempfile.mkdtemp(prefix="showroom-ray-")  # short: Ray's socket paths must fit 107 bytes
    command = [*_THIS_MODULE, "deploy", host, str(port), json.dumps(replicas or {}), temp_dir]
    with log.open("w", encoding="utf-8") as output:
        deployer = subprocess.Popen(
            command,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the shell that ran `start` does not reach it
        )
    try:
        deployer.wait(START_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        deployer.kill()
        deployer.wait()
    if deployer.returncode != 0 or (state := read_state()) is None:
        _end(ray_processes(Path(temp_dir)))  # what a deployer that died left
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
        raise ModelNotAvailable(f"The model server did not start ({' '.join(tail) or 'no output'}); see {log}.")
    return state


def status() -> dict:
    """The application's deployments (name, the models its replicas hold, replicas running, state), read from
    Serve by a driver of Ray's in a process of its own: its environment (the token, the loopback switch) must be
    set before Ray is imported, and this process may have imported it already."""
    state = read_state()
    if state is None or not state.is_running():
        raise ModelNotAvailable("The model server is not running. Start it with `python -m pipelines serve start`.")
    command = [*_THIS_MODULE, "status", state.gcs_address, json.dumps(state.members)]
    environment = os.environ | ray_environment() | {"PYTHONPATH": str(PROJECT)}
    read = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=_STATUS_SECONDS)
    if read.returncode != 0:
        last = " ".join(read.stderr.strip().splitlines()[-1:]) or "no output"
        raise ModelNotAvailable(f"The model server's status could not be read ({last}).")
    return {"url": state.url, **json.loads(read.stdout)}


def stop() -> list[int]:
    """Stop the application and the processes it started, and only those; their process ids."""
    state = read_state()
    if state is None:
        return []
    processes = ray_processes(Path(state.temp_dir))
    _end(processes)
    # Agents orphaned by the raylet's exit no longer descend from it: the set taken before counts them.
    _end(ray_processes(Path(state.temp_dir)))
    (serve_dir() / "state.json").unlink(missing_ok=True)
    return sorted(processes)


def ray_processes(temp_dir: Path) -> set[int]:
    """Ray's processes for `temp_dir`: those that name it on their command line or write into it (Ray Client's
    server, which `ray start` starts whenever Ray's client packages are installed, names neither the temp dir
    nor a parent that lives on, but logs there), and their descendants (workers rename themselves,
    "ray::ServeReplica", but stay the raylet's children)."""
    table = process_table()
    own = {
        pid
        for pid, (_, command) in table.items()
        if pid != os.getpid() and (str(temp_dir) in command or _writes_under(pid, temp_dir))
    }
    return {pid for pid in with_descendants(own, table) if running(pid)}


def _writes_under(pid: int, folder: Path) -> bool:
    """Whether the process has a file under `folder` open (its own files only: another user's are unreadable)."""
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
        return any(os.readlink(f"/proc/{pid}/fd/{fd}").startswith(f"{folder}/") for fd in descriptors)
    except OSError:  # it ended, or it is not ours
        return False


def deploy_and_leave(host: str, port: int, replicas: dict[str, int], temp_dir: Path) -> None:
    """The deployer: Ray started under `temp_dir`, every model deployed, the state written; on any failure, what
    it started stopped."""
    import ray
    from ray import serve

    from pipelines.runtime.haproxy_loopback import haproxy_environment
    from pipelines.scaleout.app import LIGHT, deploy, layout, served_models
    from pipelines.scaleout.guard import chunked_refusal

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
    refusal = json.dumps(chunked_refusal().event())
    os.environ.update(haproxy_environment(temp_dir / "h", refusal))  # before Ray starts: its processes inherit it
    try:
        _start_ray(temp_dir, cpus=sum(replicas.get(name, 1) for name in members) + 1)  # one per replica, +1
        serve.start(http_options={"host": host, "port": port})
        deploy(models, replicas)
        gcs = ray.get_runtime_context().gcs_address
        write_json(serve_dir() / "state.json", asdict(ServeState(f"http://{host}:{port}", str(temp_dir), gcs, members)))
    except BaseException:
        _end(ray_processes(temp_dir))
        raise
    finally:
        ray.shutdown()  # this driver only: the application runs on
    print(f"serving {len(models)} models at http://{host}:{port}", flush=True)


def _start_ray(temp_dir: Path, cpus: int) -> None:
    """Ray's head on loopback, by `ray start` with its temp dir, then this process as its driver. `ray start`, not
    `ray.init`: only it leaves out the autoscaler's monitor and the log monitor (160 MB together), which a one-node
    application shipping no logs to a driver never uses, and its processes outlive their driver."""
    import ray

    port = free_port()
    command = [str(Path(sys.executable).with_name("ray")), "start", "--head", f"--port={port}", f"--num-cpus={cpus}"]
    command += [f"--node-ip-address={LOOPBACK}", f"--temp-dir={temp_dir}", "--disable-usage-stats"]
    # Ray Client's server cannot be left out while its packages are installed; a free port, not its fixed 10001,
    # so a second application on the machine does not meet it there.
    command += [f"--ray-client-server-port={free_port()}"]
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


def print_deployments(gcs_address: str, members: dict[str, list[str]]) -> None:
    """`status`'s reader: each deployment, the models its replicas hold, how many replicas run, and its state."""
    import ray
    from ray import serve

    ray.init(address=gcs_address, logging_level="ERROR", log_to_driver=False)
    try:
        print(json.dumps(_deployments(serve.status(), members)))
    finally:
        ray.shutdown()


def _deployments(serve_status: object, members: dict[str, list[str]]) -> dict:
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
    if sys.argv[1] == "status":
        print_deployments(sys.argv[2], json.loads(sys.argv[3]))
    else:
        deploy_and_leave(sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4]), Path(sys.argv[5]))
