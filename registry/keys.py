"""Private keys from where they are kept: a hex key, or an encrypted keystore file.

A keystore is the Ethereum "V3" JSON that ``eth-account`` writes (``Account.encrypt``: scrypt or
PBKDF2, then AES-128-CTR) and that wallets export. :func:`decrypt_keystore` opens one where the
key is used: the service for its own keys (:func:`service_account`, from :class:`Settings`), the
CLI for a person's ``--key-file`` (``cli.common.load_signing_key``). The key never leaves the
process, and no message, log line or ``repr`` here names a key or a password: errors name the
file and the setting only. See ``docs/keys.md``.
"""

from __future__ import annotations

import json
import logging
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from pydantic import SecretStr

from registry.errors import ConfigurationError, InputError
from registry.settings import Settings

log = logging.getLogger(__name__)


def is_keystore(text: str) -> bool:
    """Whether a key file's content is a keystore (JSON) rather than a hex private key."""
    return text.lstrip().startswith("{")


def read_secret_file(path: Path, what: str) -> str:
    """The content of ``path`` without its trailing newline (a password file, a key file)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{what} {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {what} {path}: {_reason(exc)}") from None
    return text.rstrip("\r\n")


def warn_if_exposed(path: Path, what: str) -> None:
    """Log a warning when a file holding a secret can be read by its group or by others."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s %s is readable by other users; restrict it (chmod 600)", what, path)


def decrypt_keystore(path: Path, password: SecretStr) -> LocalAccount:
    """The account of the keystore file ``path`` opened with ``password``.

    Raises :class:`InputError` naming the file when it cannot be read, is not a keystore or the
    password does not open it; never with the password or the key."""
    text = read_secret_file(path, "keystore")
    return keystore_account(text, password, str(path))


def keystore_account(text: str, password: SecretStr, name: str) -> LocalAccount:
    """The account of the keystore JSON ``text`` (called ``name`` in errors)."""
    try:
        document: Any = json.loads(text)
    except ValueError:
        raise InputError(f"keystore {name} is not JSON") from None
    if not isinstance(document, dict) or not any(k.lower() == "crypto" for k in document):
        raise InputError(f"{name} is not an Ethereum keystore (no crypto section)")
    try:
        key = Account.decrypt(document, password.get_secret_value())
    except ValueError as exc:
        if "mismatch" in str(exc):  # the MAC (V3) or checksum (V4) does not match
            raise InputError(f"the password does not open keystore {name}") from None
        raise InputError(f"keystore {name} is malformed") from None
    except (KeyError, TypeError, AssertionError, NotImplementedError):
        raise InputError(f"keystore {name} is malformed or of an unsupported kind") from None
    account: LocalAccount = Account.from_key(key)
    return account


def new_keystore(
    password: SecretStr, *, kdf: str = "scrypt", work_factor: int | None = None
) -> tuple[str, dict[str, Any]]:
    """A new random account, as its address and its keystore JSON.

    The defaults are eth-account's strong ones: scrypt with n = 2^18, r = 8, p = 1 (about a second
    and 256 MiB to open); ``kdf="pbkdf2"`` with ``work_factor`` iterations is for tests."""
    account = Account.create()
    document = Account.encrypt(
        account.key,
        password.get_secret_value(),
        kdf="pbkdf2" if kdf == "pbkdf2" else "scrypt",
        iterations=work_factor,
    )
    return str(account.address), dict(document)


def _reason(exc: Exception) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__


# --- the service's own keys ------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceKeySource:
    """Where one of the service's keys may come from: a raw key in the environment, or a
    keystore file with its password (in the environment or in a file). ``env`` is the settings'
    prefix, e.g. ``DAREG_OPERATOR``."""

    env: str
    key: SecretStr | None
    keystore: Path | None
    password: SecretStr | None
    password_file: Path | None

    def __repr__(self) -> str:
        return f"ServiceKeySource({self.env}, keystore={self.keystore})"

    @classmethod
    def operator(cls, settings: Settings) -> ServiceKeySource:
        return cls(
            "DAREG_OPERATOR",
            settings.operator_key,
            settings.operator_keystore,
            settings.operator_keystore_password,
            settings.operator_keystore_password_file,
        )

    @classmethod
    def credential(cls, settings: Settings) -> ServiceKeySource:
        return cls(
            "DAREG_CREDENTIAL",
            settings.credential_key,
            settings.credential_keystore,
            settings.credential_keystore_password,
            settings.credential_keystore_password_file,
        )


def service_account(source: ServiceKeySource) -> LocalAccount | None:
    """The account ``source`` configures, ``None`` where it configures none.

    Exactly one source per key: ``<env>_KEY`` (hex) or ``<env>_KEYSTORE`` with exactly one of
    ``<env>_KEYSTORE_PASSWORD`` and ``<env>_KEYSTORE_PASSWORD_FILE``. Anything else, and a
    keystore that cannot be opened, is a :class:`ConfigurationError` naming the variables and
    the file, never the password or the key."""
    env = source.env
    if source.keystore is None:
        if source.password is not None or source.password_file is not None:
            raise ConfigurationError(
                f"a keystore password is set but {env}_KEYSTORE is not: name the keystore file"
            )
        if source.key is None:
            return None
        try:
            account: LocalAccount = Account.from_key(source.key.get_secret_value())
        except (ValueError, TypeError):
            raise ConfigurationError(f"{env}_KEY is not a valid secp256k1 private key") from None
        return account
    if source.key is not None:
        raise ConfigurationError(
            f"both {env}_KEY and {env}_KEYSTORE are set: give the key in one way only"
        )
    if (source.password is None) == (source.password_file is None):
        raise ConfigurationError(
            f"{env}_KEYSTORE {source.keystore} needs its password in exactly one of "
            f"{env}_KEYSTORE_PASSWORD and {env}_KEYSTORE_PASSWORD_FILE"
        )
    try:
        if source.password_file is not None:
            warn_if_exposed(source.password_file, f"{env}_KEYSTORE_PASSWORD_FILE")
            password = SecretStr(read_secret_file(source.password_file, "password file"))
        else:
            assert source.password is not None
            password = source.password
        warn_if_exposed(source.keystore, f"{env}_KEYSTORE")
        return decrypt_keystore(source.keystore, password)
    except InputError as exc:
        raise ConfigurationError(f"{env}_KEYSTORE: {exc}") from None
