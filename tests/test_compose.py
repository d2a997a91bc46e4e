"""docker-compose.yml: no Docker engine runs here, so check the file itself.

It must validate against the Compose Specification schema (as vendored by
check-jsonschema) and wire the stack: Prefect on Postgres, a worker built
from the project Dockerfile, a SPARQL store with a volume, a read-only
public endpoint in front of it, health checks, and ports on 127.0.0.1 only.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
import yaml

from pipeline.config import PipelineConfig

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_matches_the_compose_specification(compose) -> None:
    schema = json.loads(files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text())
    jsonschema.validate(compose, schema)


def test_services_and_wiring(compose) -> None:
    services = compose["services"]
    assert {"postgres", "prefect-server", "worker", "sparql", "sparql-api"} <= set(services)
    server = services["prefect-server"]
    assert "@postgres:5432/prefect" in server["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    assert server["depends_on"]["postgres"]["condition"] == "service_healthy"

    worker = services["worker"]
    assert worker["build"] == "."
    assert worker["environment"]["PREFECT_API_URL"] == "http://prefect-server:4200/api"
    assert {"prefect-server", "sparql"} <= set(worker["depends_on"])
    assert any(volume.startswith("workspace:") for volume in worker["volumes"])
    assert worker["command"][:3] == ["prefect", "worker", "start"]

    # The worker's config sends the graph to the sparql service.
    config_path = worker["environment"]["KG_CONFIG"].removeprefix("/app/")
    config = PipelineConfig.from_file(ROOT / config_path)
    assert config.store.backend == "remote"
    assert config.store.query_endpoint == "http://sparql:7878/query"

    sparql = services["sparql"]
    assert "--union-default-graph" in sparql["command"]
    assert any(volume.endswith(":/data") for volume in sparql["volumes"])
    assert "ports" not in sparql, "the writable store must not be published"
    api = services["sparql-api"]
    assert api["command"][:2] == ["kg", "serve"] and "http://sparql:7878/query" in api["command"]
    assert "--update-token" not in api["command"]
    assert set(compose["volumes"]) >= {"postgres-data", "workspace", "store"}


def test_health_checks_and_loopback_ports(compose) -> None:
    for name, service in compose["services"].items():
        assert "healthcheck" in service, name
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_dockerfile_copies_what_the_services_use(compose) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for folder in ("pipeline", "flows", "kg_store", "deploy"):
        assert f"COPY {folder} " in dockerfile
    assert "-c constraints.txt" in dockerfile
