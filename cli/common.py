"""What every ``dareg`` command shares: consoles, output, settings, context, keys."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, TypeVarTuple

import typer
from rich.console import Console

from registry.domain.numbers import SQL_INTEGER_MAX, UINT256_MAX
from registry.errors import InputError
from registry.files import write_atomically

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from pydantic import BaseModel, SecretStr, ValidationError

    from registry.context import RegistryContext
    from registry.mirror import AsOf
    from registry.settings import Settings

T = TypeVar("T")
Ts = TypeVarTuple("Ts")
M = TypeVar("M", bound="BaseModel")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON instead of text")]
DatasetPath = Annotated[
    Path, typer.Argument(help="a file or a directory of files", show_default=False)
]
KeyFile = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="the acting party's key: a file holding its private key (hex) or an encrypted "
        "keystore (JSON, opened here with --password-file). Applications and anchors are signed "
        "with it (EIP-712) and relayed by the service, so that party needs no gas. Without it "
        "the service's operator account acts.",
    ),
]
RoleKeyFile = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="the key of the acting registrar staff, regulator, appraiser or admin account: "
        "a hex private key file or an encrypted keystore (JSON, opened here with "
        "--password-file); required: the command is that account's own transaction (the "
        "service's operator holds no role)",
    ),
]


def password_file_option(name: str = "--password-file", key_option: str = "--key-file") -> Any:
    """The option naming the file that holds the password of a keystore ``key_option``."""
    return typer.Option(
        name,
        help=f"file holding the password of a keystore {key_option} (trailing newline ignored); "
        "else DAREG_KEYSTORE_PASSWORD, else it is asked on the terminal",
    )


PasswordFile = Annotated[Path | None, password_file_option()]

Number = Annotated[str, typer.Argument(help="17-digit certificate number", show_default=False)]
Address = Annotated[str, typer.Argument(help="a chain address (0x…)", show_default=False)]
Reason = Annotated[
    str, typer.Option("--reason", help="the reason, kept off chain; its hash on chain")
]


def id_argument(what: str) -> Any:
    """A positive id argument (a ``uint256``), e.g. ``id_argument("pledge id")``."""
    return typer.Argument(help=what, min=1, max=UINT256_MAX, show_default=False)


def as_of_block_option(verb: str) -> Any:
    """``--as-of-block``, for a command that says what it does ``verb`` ("answer", "report")."""
    return typer.Option(
        "--as-of-block", min=0, max=SQL_INTEGER_MAX, help=f"{verb} as of this block"
    )


def as_of_time_option(verb: str) -> Any:
    """``--as-of-time``, for a command that says what it does ``verb`` ("answer", "report")."""
    return typer.Option("--as-of-time", help=f"{verb} as of this ISO 8601 time (with offset)")


def settings() -> Settings:
    from registry.settings import Settings

    return Settings()


def open_context() -> RegistryContext:
    from registry.context import RegistryContext

    return RegistryContext.open(settings())


def load_signing_key(
    path: Path, password_file: Path | None = None, *, option: str = "--password-file"
) -> LocalAccount:
    """The account of the key file ``path``, opened here: the key never leaves this process.

    The file holds a private key (hex) or an encrypted keystore (eth-account JSON), told apart by
    its content. A keystore's password is read from ``password_file`` (its trailing newline
    dropped), else from ``DAREG_KEYSTORE_PASSWORD``, else asked with a hidden prompt when
    standard input is a terminal; ``option`` names the password option in errors."""
    from registry.keys import is_keystore, keystore_account, read_secret_file

    text = read_secret_file(path, "key file")
    if not is_keystore(text):
        return _hex_account(text.strip(), path)
    password = keystore_password(path, password_file, option)
    return keystore_account(text, password, str(path))


def keystore_password(
    path: Path, password_file: Path | None, option: str = "--password-file", *, new: bool = False
) -> SecretStr:
    """The password of the keystore ``path``: the file ``password_file`` (trailing newline
    dropped), else ``DAREG_KEYSTORE_PASSWORD``, else a hidden prompt on a terminal (asked twice
    for a ``new`` keystore); an :class:`InputError` naming ``option`` when there is none."""
    from pydantic import SecretStr

    from registry.keys import read_secret_file

    if password_file is not None:
        return SecretStr(read_secret_file(password_file, "password file"))
    configured = settings().keystore_password
    if configured is not None:
        return configured
    if sys.stdin.isatty():
        typed = typer.prompt(
            f"password of {'the new ' if new else ''}keystore {path}",
            hide_input=True,
            confirmation_prompt=new,
        )
        return SecretStr(typed)
    raise InputError(
        f"{path} is an encrypted keystore: give its password with {option} "
        "or DAREG_KEYSTORE_PASSWORD"
    )


def _hex_account(key: str, path: Path) -> LocalAccount:
    from eth_account import Account

    try:
        account: LocalAccount = Account.from_key(key)
    except (ValueError, TypeError):
        raise InputError(
            f"key file {path} holds neither a private key (hex) nor a keystore (JSON)"
        ) from None
    return account


def acting_key(key_file: Path | None, actor: str, password_file: Path | None) -> LocalAccount:
    """The key of the ``actor`` (e.g. "registrar staff") that acts: ``--key-file`` is required,
    the operator never acts for a role."""
    if key_file is None:
        raise InputError(
            f"--key-file is required: the {actor} account signs its own action "
            "(the service's operator holds no role)"
        )
    return load_signing_key(key_file, password_file)


def signer_or_operator(
    context: RegistryContext, key_file: Path | None, password_file: Path | None
) -> LocalAccount:
    return load_signing_key(key_file, password_file) if key_file is not None else context.operator


def open_signed(
    key_file: Path | None, password_file: Path | None
) -> tuple[RegistryContext, LocalAccount]:
    """The context and the account that acts: the party whose key ``--key-file`` holds, else the
    service's operator."""
    context = open_context()
    return context, signer_or_operator(context, key_file, password_file)


def relayed_or_operator(
    context: RegistryContext,
    key_file: Path | None,
    password_file: Path | None,
    signed: Callable[[*Ts, LocalAccount, LocalAccount], T],
    direct: Callable[[*Ts, LocalAccount], T],
    *args: *Ts,
) -> T:
    """With ``--key-file`` (and ``--password-file`` for a keystore) the party signs and the
    operator relays (``signed(*args, party, operator)``); without it the operator acts itself
    (``direct(*args, operator)``)."""
    if key_file is not None:
        return signed(*args, load_signing_key(key_file, password_file), context.operator)
    return direct(*args, context.operator)


def open_as_of(as_of_block: int | None, as_of_time: str | None) -> tuple[RegistryContext, AsOf]:
    """The context and the point of the mirror that ``--as-of-block`` / ``--as-of-time`` name
    (the latest indexed block when neither is given)."""
    from registry.mirror import resolve_as_of

    moment = parse_time(as_of_time, "--as-of-time")
    context = open_context()
    return context, resolve_as_of(context.engine, context.manifest.chain_id, as_of_block, moment)


def parse_time(text: str | None, option: str) -> datetime | None:
    """An ISO 8601 time with an offset given to ``option`` (``None`` stays ``None``)."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{option} {text!r} is not an ISO 8601 time") from exc
    if moment.tzinfo is None:
        raise InputError(f"{option} {text!r} has no offset; add one, e.g. +08:00 or Z")
    return moment


def parse_date(text: str, option: str) -> date:
    """A YYYY-MM-DD date given to ``option``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None


def emit(data: Any, as_json: bool, text: list[str]) -> None:
    if as_json:
        out.print_json(json.dumps(data, ensure_ascii=False, default=str))
    else:
        for line in text:
            out.print(line, markup=False)


def problems(exc: ValidationError) -> str:
    """A pydantic validation error as one line naming each field."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'document'}: {e['msg']}" for e in exc.errors()
    )


def read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{what} {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{what} {path} is not readable JSON: {exc}") from exc


def validated(model: type[M], raw: Any, invalid: str) -> M:
    """``raw`` validated as ``model``; else the :class:`InputError` ``invalid`` (e.g. "pledge
    terms are not valid") followed by what is wrong."""
    from pydantic import ValidationError

    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise InputError(f"{invalid}: {problems(exc)}") from None


def read_model(path: Path, what: str, model: type[M]) -> M:
    """The JSON file ``path`` (a ``what``, e.g. "terms file") validated as ``model``."""
    return validated(model, read_json(path, what), f"{what} {path} is not valid")


def write_output(path: Path, body: bytes) -> None:
    """Write an output file the user named (``-o``, ``--record`` ...) atomically: a new file in
    the same directory, synced, then renamed over ``path``. A symbolic link is refused, never
    followed (its target is not overwritten), and so is a directory; a failure is one line
    (:class:`~registry.errors.InputError`) and leaves ``path`` as it was."""
    if path.is_symlink():
        raise InputError(f"refusing to write {path}: it is a symbolic link (name a plain file)")
    if path.is_dir():
        raise InputError(f"cannot write {path}: it is a directory")
    try:
        write_atomically(path, body)  # replaces a link that appeared meanwhile, not its target
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc
