"""Signing in to a registry's REST API from the command line, and API keys.

``dareg login`` signs in with Ethereum (EIP-4361) as the account of ``--key-file``: the key is
read and used here, only the signature goes to the API. The session token is kept in
``DAREG_SESSION_FILE`` (default ``var/cli-session.json``, readable by its owner only) for the
commands that call the API: ``dareg whoami``, ``dareg api-key create|list|revoke``,
``dareg logout``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from eth_account.messages import encode_defunct

from cli.common import JsonFlag, PasswordFile, acting_key, emit, settings
from registry.errors import InputError, RemoteApiError

API = "/api/v1"
ApiUrl = Annotated[
    str | None,
    typer.Option("--api", help="base URL of the registry's API (default: this machine's)"),
]


def _call(base: str, method: str, path: str, token: str | None = None, body: Any = None) -> Any:
    """``method`` ``path`` on the API at ``base``; its JSON answer, or a one-line error."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            answer = client.request(method, API + path, json=body, headers=headers)
    except httpx.HTTPError as exc:
        raise RemoteApiError(
            f"cannot reach the registry's API at {base}: {exc}", code="unreachable", status=503
        ) from exc
    if answer.status_code == 204:
        return None
    try:
        data = answer.json()
    except ValueError:
        data = None
    if answer.is_error:
        error = (data or {}).get("error", {}) if isinstance(data, dict) else {}
        code = str(error.get("code", "http_error"))
        message = str(error.get("message", answer.reason_phrase))
        raise RemoteApiError(f"{message} ({code})", code=code, status=answer.status_code)
    return data


def _session_path() -> Path:
    return settings().cli_session_path


def _saved() -> dict[str, str]:
    path = _session_path()
    try:
        saved: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("not signed in: run `dareg login --key-file FILE` first") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the session in {path}: {exc}") from exc
    return saved


def _save(session: dict[str, str]) -> Path:
    path = _session_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(session, out)
    path.chmod(0o600)
    return path


def _signed_in(method: str, path: str, body: Any = None) -> Any:
    saved = _saved()
    return _call(saved["api"], method, path, saved["token"], body)


def login(
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            help="the key of the account that signs in: a hex private key file or an encrypted "
            "keystore (JSON, opened here with --password-file)",
        ),
    ] = None,
    password_file: PasswordFile = None,
    api: ApiUrl = None,
) -> None:
    """Sign in to the registry's API with Ethereum; the key signs here, only the signature is
    sent. The session is kept for the other API commands."""
    account = acting_key(key_file, "signing-in", password_file)
    base = (api or settings().public_url or settings().api_url).rstrip("/")
    challenge = _call(base, "POST", "/auth/challenge", body={"address": account.address})
    message = str(challenge["message"])
    signature = account.sign_message(encode_defunct(text=message)).signature.hex()
    session = _call(
        base, "POST", "/auth/sign-in", body={"message": message, "signature": "0x" + signature}
    )
    path = _save(
        {
            "api": base,
            "address": account.address,
            "token": session["token"],
            "expires_at": session["expires_at"],
        }
    )
    typer.echo(f"signed in to {base} as {account.address} until {session['expires_at']}")
    typer.echo(f"session kept in {path}")


def logout() -> None:
    """End the CLI's session and forget it."""
    try:
        _signed_in("POST", "/auth/sign-out")
    finally:
        _session_path().unlink(missing_ok=True)
    typer.echo("signed out")


def whoami(as_json: JsonFlag = False) -> None:
    """The account the CLI is signed in as, with its on-chain roles now."""
    session = _signed_in("GET", "/auth/session")
    roles = ", ".join(session["roles"]) or "none"
    emit(
        session,
        as_json,
        [f"{session['address']} ({session['via']}), roles: {roles}, until {session['expires_at']}"],
    )


api_keys = typer.Typer(help="API keys for machine clients (shown once, stored hashed)")


@api_keys.command("create")
def create_key(
    name: Annotated[str, typer.Option("--name", help="what the key is for")],
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="read (GET) and/or write (every method); default: read"),
    ] = None,
    days: Annotated[int, typer.Option("--days", help="days until it expires")] = 90,
    as_json: JsonFlag = False,
) -> None:
    """A new API key of the signed-in account; the key is printed this once."""
    body = {"name": name, "scopes": scope or ["read"], "lifetime_days": days}
    created = _signed_in("POST", "/api-keys", body)
    emit(
        created,
        as_json,
        [
            f"API key {created['key_id']} ({', '.join(created['scopes'])}) "
            f"until {created['expires_at']}:",
            created["key"],
            "it is shown this once; send it as `Authorization: Bearer <key>`",
        ],
    )


@api_keys.command("list")
def list_keys(as_json: JsonFlag = False) -> None:
    """The signed-in account's API keys (never their secrets)."""
    keys = _signed_in("GET", "/api-keys")
    lines = [
        f"{k['key_id']}  {k['name']}  {','.join(k['scopes'])}  until {k['expires_at']}"
        + ("  revoked" if k["revoked_at"] else "")
        for k in keys
    ]
    emit(keys, as_json, lines or ["no API keys"])


@api_keys.command("revoke")
def revoke_key(
    key_id: Annotated[str, typer.Argument(help="the key's id", show_default=False)],
) -> None:
    """Revoke one of the signed-in account's API keys, at once and for good."""
    revoked = _signed_in("DELETE", f"/api-keys/{key_id}")
    typer.echo(f"API key {revoked['key_id']} revoked at {revoked['revoked_at']}")


def register(app: typer.Typer) -> None:
    app.command()(login)
    app.command()(logout)
    app.command()(whoami)
    app.add_typer(api_keys, name="api-key")
