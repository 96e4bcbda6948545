"""Shared fixtures: one real anvil per test session, with snapshot/revert between tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from registry.artifacts import artifacts_hash, load_client_artifacts
from registry.audit.access_log import LISTENER as ACCESS_LOG_LISTENER
from registry.chain.client import DEV_ADMIN_INDEX, ChainClient, dev_account
from registry.chain.deploy import deploy_all
from registry.chain.node import AnvilNode, anvil_binary
from registry.domain.deployment import DeploymentManifest
from registry.settings import Settings

# database_backend, database_url, new_database_url: SQLite or PostgreSQL, see tests/databases.py.
pytest_plugins = ("tests.databases",)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def anvil_url(base_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real anvil on a free loopback port for the whole session."""
    node = AnvilNode(
        anvil_binary(base_settings.node_modules_dir),
        host="127.0.0.1",
        port=free_port(),
        chain_id=31337,
        state_path=None,
        log_path=tmp_path_factory.mktemp("anvil") / "anvil.log",
    )
    node.start()
    ChainClient(node.url, []).rpc("anvil_setBalance", [admin().address, hex(10**22)])
    yield node.url
    node.stop()


@pytest.fixture(scope="session")
def session_client(anvil_url: str, base_settings: Settings) -> ChainClient:
    artifacts = load_client_artifacts(base_settings.artifacts_dir)
    return ChainClient(anvil_url, artifacts)


@pytest.fixture(scope="session")
def operator() -> LocalAccount:
    return dev_account(0)


def admin() -> LocalAccount:
    """The registry's admin in tests: never the operator."""
    return dev_account(DEV_ADMIN_INDEX)


@pytest.fixture(scope="session")
def session_deployment(
    session_client: ChainClient, operator: LocalAccount, base_settings: Settings
) -> DeploymentManifest:
    """The registry contracts, deployed once per session."""
    return deploy_all(
        session_client,
        operator,
        admin().address,
        artifacts_hash(base_settings.artifacts_dir),
        base_settings.token_base_uri,
    )


@pytest.fixture
def chain(
    session_client: ChainClient, session_deployment: DeploymentManifest
) -> Iterator[ChainClient]:
    """The session chain, rewound to its state before the test when the test ends."""
    snapshot = session_client.rpc("evm_snapshot")
    yield session_client
    session_client.rpc("evm_revert", [snapshot])
    session_client.reset_nonces()
    session_client.remove_send_listener(ACCESS_LOG_LISTENER)  # the test's context is gone


@pytest.fixture
def deployment(chain: ChainClient, session_deployment: DeploymentManifest) -> DeploymentManifest:
    return session_deployment


@pytest.fixture
def test_settings(tmp_path: Path, anvil_url: str, database_url: str) -> Settings:
    """Settings pointing at the session anvil and a per-test database."""
    return Settings(var_dir=tmp_path / "var", rpc_url=anvil_url, database_url=database_url)


# The registry context with registrar 440 configured, shared by the registry, API and CLI tests.
from tests.registry.registration.conftest import ctx  # noqa: E402, F401
