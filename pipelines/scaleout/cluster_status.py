"""`python -m pipelines serve status --address http://HEAD:8265`: the Serve application on a cluster (deployed with
`serve deploy serve.yaml`), read from its head's dashboard as `serve status` reads it, with the cluster's token.

Each deployment gets the row `serve status` gives for the application on one machine (state, replicas running,
models), and one sentence where its replicas need a custom resource (`serve config --pin`) that no live node offers:
Serve then keeps a replica pending forever and reports only its last failure (on a node's death, a traceback that
says the actor's node died), so the operator learns here that nothing can run it until such a node joins.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from pipelines.errors import ModelNotAvailable

_TIMEOUT_SECONDS = 10.0


def cluster_status(address: str) -> dict:
    """{"url": address, "deployments": [{name, models, replicas, state, and "note" when nothing can place it}]}."""
    applications = _read(address, "/api/serve/applications/")["applications"]
    nodes = _read(address, "/api/v0/nodes?detail=1&limit=10000")["data"]["result"]["result"]
    offered = {resource for node in nodes if node["state"] == "ALIVE" for resource in node["resources_total"]}
    rows = []
    for application_name, application in applications.items():
        models = [name for name, _ in (application["deployed_app_config"] or {}).get("args", {}).get("models", [])]
        for name, deployment in application["deployments"].items():
            row = {
                "name": name,
                "models": models or [application_name],
                "replicas": sum(replica["state"] == "RUNNING" for replica in deployment["replicas"]),
                "state": deployment["status"],
            }
            needs = deployment["deployment_config"].get("ray_actor_options", {}).get("resources") or {}
            if missing := sorted(set(needs) - offered):
                row["note"] = (
                    f"Its replicas need the resource {', '.join(missing)}, which no live node offers: nothing can run "
                    f"it until a node started with --resources='{{\"{missing[0]}\": 1}}' joins."
                )
            rows.append(row)
    return {"url": address, "deployments": rows}


def _token() -> tuple[str, str]:
    """The token Ray's own CLI sends, and where it came from: RAY_AUTH_TOKEN, the file RAY_AUTH_TOKEN_PATH names,
    or ~/.ray/auth_token."""
    if token := os.environ.get("RAY_AUTH_TOKEN"):
        return token, "RAY_AUTH_TOKEN"
    path = Path(os.environ.get("RAY_AUTH_TOKEN_PATH") or Path.home() / ".ray" / "auth_token")
    return (path.read_text(encoding="utf-8").strip() if path.is_file() else ""), str(path)


def _read(address: str, path: str) -> dict:
    token, source = _token()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        answer = httpx.get(address.rstrip("/") + path, headers=headers, timeout=_TIMEOUT_SECONDS, trust_env=False)
    except httpx.HTTPError as error:
        raise ModelNotAvailable(f"No Ray dashboard answers at {address} ({error}).") from error
    if answer.status_code in (401, 403):
        raise ModelNotAvailable(f"The Ray dashboard at {address} refused the token from {source}; use the cluster's.")
    if answer.status_code != 200:
        raise ModelNotAvailable(f"The Ray dashboard at {address} answered {path} with HTTP {answer.status_code}.")
    return answer.json()
