"""`dareg login`, `whoami`, `api-key` and `logout` against a real API server, through the real
executable: the key signs in the CLI, the API sees only the signature."""

from __future__ import annotations

import json
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from api.main import create_app
from registry.chain.client import dev_account
from registry.context import RegistryContext
from tests.cli.conftest import run_dareg
from tests.conftest import free_port
from tests.registry.test_keys import PASSWORD, secret_file, write_keystore


@pytest.fixture
def api_url(ctx: RegistryContext) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(ctx), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_login_whoami_api_keys_and_logout(
    cli_env: dict[str, str], api_url: str, tmp_path: Path
) -> None:
    account = dev_account(7)  # staff of registrar 440
    key_file = tmp_path / "staff.key"
    key_file.write_text(account.key.hex())
    session_file = tmp_path / "session.json"
    env = cli_env | {"DAREG_SESSION_FILE": str(session_file)}

    signed = run_dareg(env, "login", "--key-file", str(key_file), "--api", api_url)
    assert signed.returncode == 0, signed.stderr
    assert account.address in signed.stdout
    assert stat.S_IMODE(session_file.stat().st_mode) == 0o600
    saved = json.loads(session_file.read_text())
    assert account.key.hex().removeprefix("0x") not in session_file.read_text()

    who = run_dareg(env, "whoami", "--json")
    assert who.returncode == 0, who.stderr
    me = json.loads(who.stdout)
    assert (me["address"], me["roles"], me["registrar_code"]) == (
        account.address,
        ["registrar-staff"],
        440,
    )

    created = run_dareg(env, "api-key", "create", "--name", "nightly", "--scope", "read", "--json")
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)
    answer = httpx.get(
        f"{api_url}/api/v1/auth/session", headers={"Authorization": f"Bearer {key['key']}"}
    )
    assert answer.json()["address"] == account.address
    listed = run_dareg(env, "api-key", "list")
    assert key["key_id"] in listed.stdout
    assert key["key"] not in listed.stdout
    revoked = run_dareg(env, "api-key", "revoke", key["key_id"])
    assert revoked.returncode == 0, revoked.stderr
    again = httpx.get(
        f"{api_url}/api/v1/auth/session", headers={"Authorization": f"Bearer {key['key']}"}
    )
    assert again.status_code == 401

    out = run_dareg(env, "logout")
    assert out.returncode == 0, out.stderr
    assert not session_file.exists()
    ended = httpx.get(
        f"{api_url}/api/v1/auth/session", headers={"Authorization": f"Bearer {saved['token']}"}
    )
    assert ended.status_code == 401
    after = run_dareg(env, "whoami")
    assert after.returncode != 0
    assert "not signed in" in after.stderr


def test_login_without_a_key_or_an_api_is_one_clear_line(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = cli_env | {"DAREG_SESSION_FILE": str(tmp_path / "s.json")}
    missing = run_dareg(env, "login")
    assert missing.returncode != 0
    assert "--key-file is required" in missing.stderr
    key_file = tmp_path / "k"
    key_file.write_text(dev_account(2).key.hex())
    nowhere = run_dareg(env, "login", "--key-file", str(key_file), "--api", "http://127.0.0.1:9")
    assert nowhere.returncode != 0
    assert "cannot reach the registry's API" in nowhere.stderr
    assert len(nowhere.stderr.strip().splitlines()) == 1


def test_login_with_a_keystore_key_file(
    cli_env: dict[str, str], api_url: str, tmp_path: Path
) -> None:
    """A person without a wallet signs in with the keystore `dareg key new` makes, opened here."""
    account = dev_account(1)
    keystore = write_keystore(tmp_path / "me.json", account)
    env = cli_env | {"DAREG_SESSION_FILE": str(tmp_path / "session.json")}
    password = ("--password-file", str(secret_file(tmp_path / "pw", PASSWORD + "\n")))
    signed = run_dareg(env, "login", "--key-file", str(keystore), *password, "--api", api_url)
    assert signed.returncode == 0, signed.stderr
    assert account.address in signed.stdout
