"""The JSON-LD contexts credentials name: served as application/ld+json, cacheable, the dareg
context byte for byte as shipped, the W3C context from its npm package, and their index."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from registry.context import RegistryContext

ROOT = Path(__file__).resolve().parents[2]


def test_contexts_are_served_and_cacheable(
    api: TestClient, registry_context: RegistryContext
) -> None:
    index = api.get("/contexts")
    assert index.status_code == 200
    assert index.json() == {
        "https://www.w3.org/ns/credentials/v2": "/contexts/credentials/v2",
        "https://w3id.org/dareg/credentials/v1": "/contexts/dareg/v1",
    }
    dareg = api.get("/contexts/dareg/v1")
    assert dareg.status_code == 200
    assert dareg.headers["content-type"] == "application/ld+json"
    assert "max-age" in dareg.headers["cache-control"]
    assert dareg.content == (ROOT / "registry/certificates/contexts/dareg-v1.jsonld").read_bytes()
    context = json.loads(dareg.content)["@context"]
    assert context["@protected"] is True
    assert context["@version"] == 1.1
    w3c = api.get("/contexts/credentials/v2")
    assert w3c.status_code == 200
    assert w3c.headers["content-type"] == "application/ld+json"
    node_modules = registry_context.settings.node_modules_dir
    package = node_modules / "@digitalcredentials/credentials-v2-context"
    assert w3c.content == (package / "contexts/credentials-v2.jsonld").read_bytes()
    spec = api.get("/openapi.json").json()["paths"]
    for path in index.json().values():
        assert "application/ld+json" in spec[path]["get"]["responses"]["200"]["content"]
