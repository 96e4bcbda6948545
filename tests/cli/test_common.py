"""Key files of people: a hex key or an encrypted keystore, opened in the CLI that acts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry.chain.client import ChainClient
from registry.context import RegistryContext
from registry.settings import Settings
from tests.cli.conftest import DAREG, run_dareg
from tests.conftest import admin
from tests.registry.test_keys import PASSWORD, key_hex, secret_file, write_keystore


def _data(tmp_path: Path, content: bytes) -> str:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_bytes(content)
    return str(data)


def _without_terminal(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``dareg ARGS`` with standard input not a terminal (so it never prompts)."""
    return subprocess.run(
        [DAREG, *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_keystore_key_file_signs_with_a_password_file(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """A registrant without a wallet anchors (EIP-712, relayed: it needs no gas) with the
    keystore ``dareg key new`` makes; its password file ends in a newline."""
    person: LocalAccount = Account.create()
    keystore = write_keystore(tmp_path / "me.json", person)
    password_file = secret_file(tmp_path / "pw", PASSWORD + "\n")
    anchored = run_dareg(
        cli_env,
        "anchor",
        _data(tmp_path, b"id,value\n1,2\n"),
        "--key-file",
        str(keystore),
        "--password-file",
        str(password_file),
        "--json",
    )
    assert anchored.returncode == 0, anchored.stderr
    assert json.loads(anchored.stdout)["anchorer"] == person.address


def test_a_keystore_password_from_the_environment(cli_env: dict[str, str], tmp_path: Path) -> None:
    person: LocalAccount = Account.create()
    keystore = write_keystore(tmp_path / "me.json", person)
    anchored = _without_terminal(
        cli_env | {"DAREG_KEYSTORE_PASSWORD": PASSWORD},
        "anchor",
        _data(tmp_path, b"x\n"),
        "--key-file",
        str(keystore),
        "--json",
    )
    assert anchored.returncode == 0, anchored.stderr
    assert json.loads(anchored.stdout)["anchorer"] == person.address


def test_the_admin_acts_from_a_keystore(
    cli_env: dict[str, str], test_settings: Settings, chain: ChainClient, tmp_path: Path
) -> None:
    """A role command (the admin binds a registrar's staff account: its own transaction)."""
    governor = ("--key-file", str(write_keystore(tmp_path / "admin.json", admin())))
    password = ("--password-file", str(secret_file(tmp_path / "pw", PASSWORD)))
    staff: LocalAccount = Account.create()
    bound = run_dareg(
        cli_env, "registrar", "add-account", "440", staff.address, *governor, *password
    )
    assert bound.returncode == 0, bound.stderr
    registrations = RegistryContext.open(test_settings, client=chain).registrations
    assert registrations.registrar_code_of(staff.address) == 440


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("wrong password", "the password does not open keystore"),
        (None, "is an encrypted keystore: give its password with --password-file"),
    ],
)
def test_a_keystore_that_does_not_open_is_refused_without_showing_secrets(
    cli_env: dict[str, str], tmp_path: Path, password: str | None, message: str
) -> None:
    person: LocalAccount = Account.create()
    keystore = write_keystore(tmp_path / "me.json", person)
    options = ["--key-file", str(keystore)]
    if password is not None:
        options += ["--password-file", str(secret_file(tmp_path / "pw", password))]
    refused = _without_terminal(cli_env, "anchor", _data(tmp_path, b"y\n"), *options)
    assert refused.returncode == 2, refused.stdout
    assert message in refused.stderr
    assert str(keystore) in refused.stderr
    assert refused.stderr.count("\n") == 1
    output = refused.stdout + refused.stderr
    assert key_hex(person) not in output.lower()
    assert password is None or password not in output


def test_a_key_file_that_is_neither_is_refused(cli_env: dict[str, str], tmp_path: Path) -> None:
    bad = secret_file(tmp_path / "bad.key", "not a key\n")
    refused = run_dareg(cli_env, "anchor", _data(tmp_path, b"z\n"), "--key-file", str(bad))
    assert refused.returncode == 2
    assert "holds neither a private key (hex) nor a keystore (JSON)" in refused.stderr
