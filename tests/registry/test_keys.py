"""The service's keys from keystores or the environment; secrets never in messages or logs."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from pydantic import SecretStr

from cli.stack import start
from registry.chain.client import ChainClient
from registry.context import RegistryContext, credential_account, operator_account
from registry.db.engine import migrate
from registry.domain.deployment import DeploymentManifest
from registry.errors import ConfigurationError, InputError
from registry.keys import (
    ServiceKeySource,
    decrypt_keystore,
    is_keystore,
    new_keystore,
    service_account,
)
from registry.settings import Settings

PASSWORD = "hunter2-but-longer"


def write_keystore(path: Path, account: LocalAccount, password: str = PASSWORD) -> Path:
    """``account``'s keystore at ``path`` (PBKDF2 with 2 iterations: fast, for tests only)."""
    path.write_text(json.dumps(Account.encrypt(account.key, password, kdf="pbkdf2", iterations=2)))
    path.chmod(0o600)
    return path


def secret_file(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


@pytest.fixture
def account() -> LocalAccount:
    created: LocalAccount = Account.create()
    return created


def key_hex(account: LocalAccount) -> str:
    return bytes(account.key).hex()


def assert_secret_free(text: str, account: LocalAccount, password: str = PASSWORD) -> None:
    assert key_hex(account) not in text.lower()
    assert password not in text


def source(**fields: Any) -> ServiceKeySource:
    values: dict[str, Any] = {"key": None, "keystore": None, "password": None}
    return ServiceKeySource("DAREG_OPERATOR", **(values | {"password_file": None} | fields))


# --- decrypting a keystore ----------------------------------------------------------------------


def test_a_keystore_opens_with_its_password(tmp_path: Path, account: LocalAccount) -> None:
    path = write_keystore(tmp_path / "k.json", account)
    assert is_keystore(path.read_text())
    assert not is_keystore(key_hex(account))
    assert decrypt_keystore(path, SecretStr(PASSWORD)).address == account.address


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "the password does not open keystore"),
        ("{not json", "is not JSON"),
        ('{"version": 3}', "is not an Ethereum keystore"),
        ('{"version": 3, "crypto": {"kdf": "argon2"}}', "malformed"),
    ],
)
def test_a_keystore_that_does_not_open_is_named_never_the_password(
    tmp_path: Path, account: LocalAccount, content: str | None, message: str
) -> None:
    path = write_keystore(tmp_path / "k.json", account, "another password")
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputError, match=message) as raised:
        decrypt_keystore(path, SecretStr(PASSWORD))
    assert str(path) in str(raised.value)
    assert_secret_free(repr(raised.value) + str(raised.value.details), account)


def test_a_missing_keystore_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        decrypt_keystore(tmp_path / "none.json", SecretStr(PASSWORD))


def test_a_new_keystore_decrypts_to_its_address(tmp_path: Path) -> None:
    address, document = new_keystore(SecretStr(PASSWORD), kdf="pbkdf2", work_factor=2)
    path = tmp_path / "new.json"
    path.write_text(json.dumps(document))
    assert decrypt_keystore(path, SecretStr(PASSWORD)).address == address


# --- the service's key sources ------------------------------------------------------------------


def test_service_key_from_keystore_with_password_or_password_file(
    tmp_path: Path, account: LocalAccount
) -> None:
    keystore = write_keystore(tmp_path / "k.json", account)
    with_password = source(keystore=keystore, password=SecretStr(PASSWORD))
    assert (loaded := service_account(with_password)) is not None
    assert loaded.address == account.address
    password_file = secret_file(tmp_path / "pw", PASSWORD + "\n")  # `echo` writes a newline
    with_file = source(keystore=keystore, password_file=password_file)
    assert (loaded := service_account(with_file)) is not None
    assert loaded.address == account.address


def test_service_key_from_the_environment_or_none(account: LocalAccount) -> None:
    assert service_account(source()) is None
    raw = service_account(source(key=SecretStr("0x" + key_hex(account))))
    assert raw is not None
    assert raw.address == account.address


def test_service_key_sources_that_cannot_be_used(tmp_path: Path, account: LocalAccount) -> None:
    keystore = write_keystore(tmp_path / "k.json", account)
    password_file = secret_file(tmp_path / "pw", PASSWORD)
    key = SecretStr(key_hex(account))
    cases: list[tuple[ServiceKeySource, str]] = [
        (
            source(key=key, keystore=keystore, password=SecretStr(PASSWORD)),
            "both DAREG_OPERATOR_KEY and DAREG_OPERATOR_KEYSTORE are set",
        ),
        (source(keystore=keystore), "needs its password in exactly one of"),
        (
            source(keystore=keystore, password=SecretStr(PASSWORD), password_file=password_file),
            "needs its password in exactly one of",
        ),
        (source(password=SecretStr(PASSWORD)), "DAREG_OPERATOR_KEYSTORE is not"),
        (source(key=SecretStr("0x1234")), "DAREG_OPERATOR_KEY is not a valid"),
        (
            source(keystore=keystore, password=SecretStr("wrong")),
            f"DAREG_OPERATOR_KEYSTORE: the password does not open keystore {keystore}",
        ),
        (
            source(keystore=keystore, password_file=tmp_path / "none"),
            "DAREG_OPERATOR_KEYSTORE: password file .* does not exist",
        ),
        (
            source(keystore=tmp_path / "none.json", password=SecretStr(PASSWORD)),
            "keystore .*none.json does not exist",
        ),
    ]
    for configured, message in cases:
        with pytest.raises(ConfigurationError, match=message) as raised:
            service_account(configured)
        assert_secret_free(str(raised.value) + repr(raised.value.__cause__), account)
        assert raised.value.__cause__ is None  # no decrypting library's message chained in


def test_an_exposed_keystore_or_password_file_is_warned_about(
    tmp_path: Path, account: LocalAccount, caplog: pytest.LogCaptureFixture
) -> None:
    keystore = write_keystore(tmp_path / "k.json", account)
    password_file = secret_file(tmp_path / "pw", PASSWORD)
    configured = source(keystore=keystore, password_file=password_file)
    with caplog.at_level(logging.WARNING, logger="registry.keys"):
        service_account(configured)
        assert caplog.records == []
        password_file.chmod(0o644)
        keystore.chmod(0o640)
        service_account(configured)
    warned = " ".join(record.getMessage() for record in caplog.records)
    assert "DAREG_OPERATOR_KEYSTORE_PASSWORD_FILE" in warned
    assert "chmod 600" in warned
    assert f"DAREG_OPERATOR_KEYSTORE {keystore}" in warned


def test_settings_read_both_keys_from_the_environment(
    tmp_path: Path, account: LocalAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    operator_store = write_keystore(tmp_path / "operator.json", account)
    staff: LocalAccount = Account.create()
    staff_store = write_keystore(tmp_path / "staff.json", staff, "staff password")
    monkeypatch.setenv("DAREG_OPERATOR_KEYSTORE", str(operator_store))
    monkeypatch.setenv("DAREG_OPERATOR_KEYSTORE_PASSWORD", PASSWORD)
    monkeypatch.setenv("DAREG_CREDENTIAL_KEYSTORE", str(staff_store))
    monkeypatch.setenv(
        "DAREG_CREDENTIAL_KEYSTORE_PASSWORD_FILE",
        str(secret_file(tmp_path / "staff-pw", "staff password\n")),
    )
    settings = Settings()
    assert (operator := operator_account(settings, 1)) is not None
    assert operator.address == account.address
    assert (signer := credential_account(settings, 1)) is not None
    assert signer.address == staff.address
    shown = repr(settings) + str(settings) + json.dumps(settings.model_dump(mode="json"))
    shown += str(settings.model_dump())
    assert_secret_free(shown, account)


def test_settings_never_show_a_raw_key(account: LocalAccount) -> None:
    settings = Settings(
        operator_key=SecretStr(key_hex(account)), keystore_password=SecretStr(PASSWORD)
    )
    shown = repr(settings) + str(settings) + json.dumps(settings.model_dump(mode="json"))
    assert_secret_free(shown + str(settings.model_dump()), account)
    assert operator_account(settings, 1) is not None


# --- the service started with a keystore operator -----------------------------------------------


@pytest.fixture
def keystore_settings(
    tmp_path: Path,
    chain: ChainClient,
    deployment: DeploymentManifest,
    test_settings: Settings,
    account: LocalAccount,
) -> Settings:
    """The test's settings with a funded keystore operator, the deployment recorded."""
    deployment.save(test_settings.manifest_path)
    migrate(test_settings.effective_database_url)
    chain.rpc("anvil_setBalance", [account.address, hex(10**20)])
    return Settings(
        var_dir=test_settings.var_dir,
        rpc_url=test_settings.rpc_url,
        database_url=test_settings.database_url,
        operator_keystore=write_keystore(tmp_path / "operator.json", account),
        operator_keystore_password_file=secret_file(tmp_path / "pw", PASSWORD + "\n"),
    )


def _opened(settings: Settings, chain: ChainClient) -> RegistryContext:
    return RegistryContext.open(settings, client=chain)


def _started(settings: Settings, chain: ChainClient) -> RegistryContext:
    del chain
    return start(settings, deploy=True).context  # what `dareg up` runs, deployment found


@pytest.mark.parametrize("opening", [_opened, _started], ids=["context", "dareg-up-start"])
def test_the_service_acts_with_its_keystore_operator_and_never_logs_a_secret(
    keystore_settings: Settings,
    chain: ChainClient,
    account: LocalAccount,
    caplog: pytest.LogCaptureFixture,
    opening: Callable[[Settings, ChainClient], RegistryContext],
) -> None:
    with caplog.at_level(logging.DEBUG):
        context = opening(keystore_settings, chain)
        assert context.operator.address == account.address
        anchored = context.evidence.anchor(os.urandom(32), context.operator)
        logging.getLogger("test").debug("context %r settings %r", context, keystore_settings)
    assert anchored.created
    assert anchored.record.anchorer == account.address
    assert caplog.records, "nothing was logged at DEBUG: the check below would prove nothing"
    assert_secret_free(caplog.text + repr(context), account)


def test_a_wrong_keystore_password_stops_the_start_without_showing_it(
    keystore_settings: Settings, chain: ChainClient, account: LocalAccount, tmp_path: Path
) -> None:
    wrong = secret_file(tmp_path / "wrong", "not the password")
    settings = Settings(
        **(keystore_settings.model_dump() | {"operator_keystore_password_file": wrong})
    )
    with pytest.raises(ConfigurationError, match="does not open") as raised:
        _started(settings, chain)
    assert_secret_free(str(raised.value), account, "not the password")
