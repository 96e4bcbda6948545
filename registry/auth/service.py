"""Authentication: who is calling, proved by a signature of its own key.

* **Sign-In with Ethereum** (EIP-4361, the ``siwe`` package). :meth:`AuthService.challenge`
  issues a single-use nonce for one address and the message to sign (this registry's domain,
  URI and chain id, valid for ``sign_in_ttl`` seconds). The account signs it with
  ``personal_sign``, in a wallet, in the browser from a keystore file, or in the CLI; the key
  never reaches the service. :meth:`AuthService.sign_in` checks the message (domain, chain id,
  expiry, signature) and spends the nonce atomically, so a message signs in once. The answer is
  a session token, valid for ``session_ttl`` seconds: a bearer token for API clients, the same
  value in an HttpOnly cookie for the web.
* **API keys** for machine clients: random, shown once, stored as a SHA-256 hash, bound to the
  address that created them and to scopes (``read``: safe methods, ``write``: every method),
  with an end no later than ``api_key_max_days``; listed and revoked by their owner.

Tokens are ``dareg_s_<secret>`` (sessions) and ``dareg_k_<id>_<secret>`` (API keys); only
SHA-256 digests are stored. :meth:`AuthService.authenticate` turns either into a
:class:`Caller`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from siwe.siwe import SiweMessage, VerificationError, generate_nonce
from sqlalchemy import Engine, Row, select, update

from registry.db.models import (
    API_KEY_NAME_LENGTH,
    api_key_table,
    auth_nonce_table,
    auth_session_table,
)
from registry.domain.inputs import checked_address
from registry.errors import (
    InputError,
    InvalidSignInError,
    NotFoundError,
    SessionExpiredError,
    SignInReplayedError,
)

SESSION_PREFIX = "dareg_s_"
API_KEY_PREFIX = "dareg_k_"
#: What an API key may be allowed: ``read`` (GET and HEAD) and ``write`` (every other method).
SCOPES = frozenset({"read", "write"})
#: The statement every sign-in message carries.
STATEMENT = "Sign in to the dareg data asset registry."

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(tz=UTC)


def _digest(secret: str) -> str:
    return "0x" + hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: its address, how it proved it, and what its credential allows."""

    address: str
    via: Literal["session", "api-key"]
    scopes: frozenset[str]
    credential: str
    """The session token's digest or the API key's id (to sign out or revoke it)."""
    expires_at: datetime

    def may(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass(frozen=True)
class Challenge:
    """A sign-in message to sign, and its nonce and end."""

    message: str
    nonce: str
    expires_at: datetime


@dataclass(frozen=True)
class Session:
    """A new session: its bearer token (shown once) and who it is for."""

    token: str
    caller: Caller


@dataclass(frozen=True)
class ApiKeyRecord:
    """An API key as its owner sees it (never its secret)."""

    key_id: str
    name: str
    address: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class NewApiKey:
    """A new API key: the secret, shown once, and its record."""

    key: str
    record: ApiKeyRecord


class AuthService:
    """Issues sign-in challenges, sessions and API keys, and authenticates their tokens."""

    def __init__(
        self,
        engine: Engine,
        *,
        chain_id: int,
        base_url: str,
        session_ttl: int,
        sign_in_ttl: int,
        api_key_max_days: int,
        clock: Clock = _now,
    ) -> None:
        self._engine = engine
        self._chain_id = chain_id
        self._uri = base_url.rstrip("/")
        self._domain = self._uri.split("://", 1)[-1].split("/", 1)[0]
        self._session_ttl = timedelta(seconds=session_ttl)
        self._sign_in_ttl = timedelta(seconds=sign_in_ttl)
        self._api_key_max = timedelta(days=api_key_max_days)
        self._clock = clock

    @property
    def domain(self) -> str:
        """The EIP-4361 domain sign-in messages must name (host and port of the public URL)."""
        return self._domain

    # --- Sign-In with Ethereum ----------------------------------------------------------------

    def challenge(self, address: str) -> Challenge:
        """A new single-use nonce for ``address`` and the EIP-4361 message that signs in with
        it."""
        address = checked_address(address, "address")
        now = self._clock()
        expires = now + self._sign_in_ttl
        nonce = generate_nonce()
        message = SiweMessage(
            domain=self._domain,
            address=address,
            statement=STATEMENT,
            uri=self._uri,
            version="1",
            chain_id=self._chain_id,
            nonce=nonce,
            issued_at=_iso(now),
            expiration_time=_iso(expires),
        )
        row = {"nonce": nonce, "address": address, "issued_at": now, "expires_at": expires}
        with self._engine.begin() as connection:
            connection.execute(auth_nonce_table.insert().values(row))
        return Challenge(message=message.prepare_message(), nonce=nonce, expires_at=expires)

    def sign_in(self, message: str, signature: str) -> Session:
        """A session for the account that signed ``message``; the message's nonce is spent."""
        try:
            parsed = SiweMessage.from_message(message=message)
        except Exception as exc:  # the parser raises ValueError and pydantic errors alike
            raise InvalidSignInError(f"not a Sign-In with Ethereum message: {exc}") from exc
        if parsed.domain != self._domain:
            raise InvalidSignInError(
                f"the message signs in to {parsed.domain}, not to {self._domain}"
            )
        if parsed.chain_id != self._chain_id:
            raise InvalidSignInError(
                f"the message names chain {parsed.chain_id}, this registry is on chain "
                f"{self._chain_id}"
            )
        now = self._clock()
        try:
            parsed.verify(signature, domain=self._domain, timestamp=now)
        except VerificationError as exc:
            raise InvalidSignInError(
                f"the sign-in message does not verify ({type(exc).__name__})"
            ) from exc
        except Exception as exc:  # malformed signatures raise several unrelated types
            raise InvalidSignInError("the signature cannot be recovered") from exc
        address = checked_address(parsed.address, "address")
        table = auth_nonce_table
        with self._engine.begin() as connection:
            spent = connection.execute(
                update(table)
                .where(
                    table.c.nonce == parsed.nonce,
                    table.c.address == address,
                    table.c.used_at.is_(None),
                    table.c.expires_at > now,
                )
                .values(used_at=now)
            ).rowcount
            if spent != 1:
                raise SignInReplayedError(
                    "the message's nonce was not issued to this account, has expired or was "
                    "used already: ask for a new challenge"
                )
            token = SESSION_PREFIX + secrets.token_urlsafe(32)
            expires = now + self._session_ttl
            connection.execute(
                auth_session_table.insert().values(
                    token_hash=_digest(token),
                    address=address,
                    nonce=parsed.nonce,
                    created_at=now,
                    expires_at=expires,
                )
            )
        caller = Caller(address, "session", SCOPES, _digest(token), expires)
        return Session(token=token, caller=caller)

    def sign_out(self, caller: Caller) -> None:
        """End the session ``caller`` authenticated with (an API key is revoked instead)."""
        if caller.via == "api-key":
            self.revoke_key(caller.address, caller.credential)
            return
        table = auth_session_table
        with self._engine.begin() as connection:
            connection.execute(
                update(table)
                .where(table.c.token_hash == caller.credential, table.c.revoked_at.is_(None))
                .values(revoked_at=self._clock())
            )

    # --- tokens ---------------------------------------------------------------------------------

    def authenticate(self, token: str) -> Caller:
        """The caller a session token or API key stands for; 401 for anything else."""
        if token.startswith(SESSION_PREFIX):
            return self._session(token)
        if token.startswith(API_KEY_PREFIX):
            return self._api_key(token)
        raise SessionExpiredError("not a session token or API key of this registry")

    def _session(self, token: str) -> Caller:
        table = auth_session_table
        with self._engine.connect() as connection:
            row = connection.execute(
                select(table).where(table.c.token_hash == _digest(token))
            ).first()
        now = self._clock()
        if row is None or row.revoked_at is not None:
            raise SessionExpiredError("the session has ended or never existed: sign in again")
        if row.expires_at <= now:
            raise SessionExpiredError(f"the session ended at {_iso(row.expires_at)}: sign in again")
        return Caller(str(row.address), "session", SCOPES, _digest(token), row.expires_at)

    def _api_key(self, token: str) -> Caller:
        key_id, _, secret = token.removeprefix(API_KEY_PREFIX).partition("_")
        table = api_key_table
        now = self._clock()
        with self._engine.begin() as connection:
            row = connection.execute(select(table).where(table.c.key_id == key_id)).first()
            if row is None or not secrets.compare_digest(row.secret_hash, _digest(secret)):
                raise SessionExpiredError("unknown API key")
            if row.revoked_at is not None:
                raise SessionExpiredError(f"API key {key_id} was revoked")
            if row.expires_at <= now:
                raise SessionExpiredError(f"API key {key_id} expired at {_iso(row.expires_at)}")
            connection.execute(
                update(table).where(table.c.key_id == key_id).values(last_used_at=now)
            )
        scopes = frozenset(str(row.scopes).split())
        return Caller(str(row.address), "api-key", scopes, key_id, row.expires_at)

    # --- API keys -------------------------------------------------------------------------------

    def create_key(
        self, owner: str, name: str, scopes: frozenset[str], lifetime_days: int
    ) -> NewApiKey:
        """A new API key of ``owner``; its secret is in the answer and nowhere else."""
        owner = checked_address(owner, "owner")
        if not 1 <= len(name) <= API_KEY_NAME_LENGTH:
            raise InputError(f"an API key's name has 1 to {API_KEY_NAME_LENGTH} characters")
        if not scopes or not scopes <= SCOPES:
            raise InputError(f"scopes are some of {', '.join(sorted(SCOPES))}, not {set(scopes)}")
        if not 1 <= lifetime_days <= self._api_key_max.days:
            raise InputError(
                f"an API key lasts 1 to {self._api_key_max.days} days, not {lifetime_days}"
            )
        now = self._clock()
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        row = {
            "key_id": key_id,
            "secret_hash": _digest(secret),
            "address": owner,
            "name": name,
            "scopes": " ".join(sorted(scopes)),
            "created_at": now,
            "expires_at": now + timedelta(days=lifetime_days),
        }
        with self._engine.begin() as connection:
            connection.execute(api_key_table.insert().values(row))
        return NewApiKey(key=f"{API_KEY_PREFIX}{key_id}_{secret}", record=self.key(owner, key_id))

    def keys(self, owner: str) -> list[ApiKeyRecord]:
        """``owner``'s API keys, newest first, revoked and expired ones included."""
        table = api_key_table
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(table)
                .where(table.c.address == checked_address(owner, "owner"))
                .order_by(table.c.created_at.desc(), table.c.key_id)
            ).all()
        return [_record(row) for row in rows]

    def key(self, owner: str, key_id: str) -> ApiKeyRecord:
        table = api_key_table
        with self._engine.connect() as connection:
            row = connection.execute(
                select(table).where(table.c.key_id == key_id, table.c.address == owner)
            ).first()
        if row is None:
            raise NotFoundError(f"{owner} has no API key {key_id}", key_id=key_id)
        return _record(row)

    def revoke_key(self, owner: str, key_id: str) -> ApiKeyRecord:
        """Revoke ``owner``'s key ``key_id`` (at once, for good); revoking twice is harmless."""
        owner = checked_address(owner, "owner")
        self.key(owner, key_id)  # 404 for someone else's key
        table = api_key_table
        with self._engine.begin() as connection:
            connection.execute(
                update(table)
                .where(table.c.key_id == key_id, table.c.revoked_at.is_(None))
                .values(revoked_at=self._clock())
            )
        return self.key(owner, key_id)


def _record(row: Row[Any]) -> ApiKeyRecord:
    return ApiKeyRecord(
        key_id=str(row.key_id),
        name=str(row.name),
        address=str(row.address),
        scopes=tuple(str(row.scopes).split()),
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
