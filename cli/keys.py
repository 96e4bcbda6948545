"""``dareg key``: keys of people, kept in encrypted keystore files where they are used.

``dareg key new`` makes an account for a registrant without a wallet: a random key written only
as an eth-account keystore (scrypt n = 2^18, r = 8, p = 1; AES-128-CTR), mode 0600, never over an
existing file. Any ``--key-file`` of ``dareg`` accepts such a file (with ``--password-file``, or
``DAREG_KEYSTORE_PASSWORD``, or a prompt); it is decrypted in the CLI, never sent anywhere. See
docs/keys.md.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from cli.common import JsonFlag, emit, keystore_password, password_file_option
from registry.errors import InputError

key_app = typer.Typer(help="Keys of people: encrypted keystore files (see docs/keys.md).")

#: Shortest password ``dareg key new`` accepts.
MIN_PASSWORD_LENGTH = 8


@key_app.command("new")
def new(
    out: Annotated[
        Path, typer.Option("--out", help="the keystore file to create (never overwritten)")
    ],
    password_file: Annotated[Path | None, password_file_option(key_option="--out")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a new account in an encrypted keystore file (mode 0600); print its address."""
    from registry.keys import new_keystore

    if out.exists():
        raise InputError(f"{out} exists; dareg key new never overwrites a file")
    password = keystore_password(out, password_file, new=True)
    if len(password.get_secret_value()) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"the keystore password must have at least {MIN_PASSWORD_LENGTH} characters"
        )
    address, document = new_keystore(password)
    try:
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError(f"{out} exists; dareg key new never overwrites a file") from None
    except OSError as exc:
        raise InputError(f"cannot create {out}: {exc.strerror}") from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(document, file)
        file.write("\n")
    emit({"address": address, "keystore": str(out)}, as_json, [address])


def register(app: typer.Typer) -> None:
    """Attach ``dareg key`` to the ``dareg`` app."""
    app.add_typer(key_app, name="key")
