"""An API client on the real session chain and a per-test SQLite mirror."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from registry.chain.client import ChainClient
from registry.context import RegistryContext
from registry.db.engine import migrate
from registry.domain.deployment import DeploymentManifest
from registry.indexer.follow import Indexer
from registry.settings import Settings


@pytest.fixture
def registry_context(
    chain: ChainClient, deployment: DeploymentManifest, test_settings: Settings
) -> RegistryContext:
    deployment.save(test_settings.manifest_path)
    migrate(test_settings.effective_database_url)
    return RegistryContext.open(test_settings, client=chain)


@pytest.fixture
def indexer(registry_context: RegistryContext) -> Indexer:
    return Indexer(registry_context.client, registry_context.manifest, registry_context.engine)


@pytest.fixture
def api(registry_context: RegistryContext) -> Iterator[TestClient]:
    with TestClient(create_app(registry_context)) as client:
        yield client
