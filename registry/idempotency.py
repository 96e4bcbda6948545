"""Answers kept for ``Idempotency-Key``: the same key from the same caller with the same request
gets the same answer (status and body), also after a restart; docs/idempotency.md.

A key is held per caller scope (the signed-in account, or the client address of an anonymous
caller), in table ``idempotency_key``. :meth:`IdempotencyStore.begin` claims it for a request
(the insert is the claim: of two requests at once, one inserts, the other finds the row), or
finds it claimed: by the same request answered already (the answer to replay), by the same
request still running (:class:`~registry.errors.IdempotencyKeyInUseError`, 409), or by a
different request (:class:`~registry.errors.IdempotencyKeyReusedError`, 422).
:meth:`~IdempotencyStore.finish` keeps the answer; :meth:`~IdempotencyStore.release` forgets a
claim whose answer is not kept (a server error, which may be retried). A key expires
``ttl`` seconds after its first request; a claim whose request never finished (the process was
killed) may be taken over after :data:`ABANDONED_AFTER`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from registry.db.models import idempotency_table
from registry.db.models.idempotency import IDEMPOTENCY_KEY_LENGTH
from registry.errors import (
    IdempotencyKeyInUseError,
    IdempotencyKeyReusedError,
    InvalidIdempotencyKeyError,
)

#: Seconds a key is kept by default (24 hours; ``DAREG_IDEMPOTENCY_KEY_TTL``).
DEFAULT_TTL = 86_400
#: A claim whose request has not answered after this long was abandoned (its process ended):
#: longer than any request may run (the receipt timeout and its replacements included).
ABANDONED_AFTER = timedelta(minutes=30)

T = idempotency_table


def checked_key(key: str) -> str:
    """``key`` if it is a usable ``Idempotency-Key``: 1 to 255 printable ASCII characters."""
    if not 0 < len(key) <= IDEMPOTENCY_KEY_LENGTH or not all(" " <= c <= "~" for c in key):
        raise InvalidIdempotencyKeyError(
            f"an Idempotency-Key is 1 to {IDEMPOTENCY_KEY_LENGTH} printable ASCII characters"
        )
    return key


def request_hash(method: str, path: str, query: bytes, body: bytes) -> str:
    """What makes two requests the same request: method, path, query string and body."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return "0x" + digest.hexdigest()


@dataclass(frozen=True)
class KeptAnswer:
    """The answer the first request with a key was given."""

    status: int
    content_type: str | None
    body: bytes


class IdempotencyStore:
    """The ``idempotency_key`` table (see the module)."""

    def __init__(self, engine: Engine, *, ttl: int = DEFAULT_TTL) -> None:
        self._engine = engine
        self.ttl = ttl

    def begin(self, scope: str, key: str, fingerprint: str) -> KeptAnswer | None:
        """Claim ``key`` of ``scope`` for the request ``fingerprint`` (``None``: go on and
        :meth:`finish` or :meth:`release` it), or the answer it was given before; 409 while the
        first request runs, 422 for a different request."""
        now = datetime.now(UTC)
        for _ in range(2):
            try:
                with self._engine.begin() as connection:
                    # expired keys, and this key if it expired or its request was abandoned
                    connection.execute(delete(T).where(T.c.expires_at <= now))
                    connection.execute(
                        delete(T).where(
                            T.c.scope == scope,
                            T.c.key == key,
                            T.c.status.is_(None),
                            T.c.created_at <= now - ABANDONED_AFTER,
                        )
                    )
                    connection.execute(
                        insert(T).values(
                            scope=scope,
                            key=key,
                            request_hash=fingerprint,
                            created_at=now,
                            expires_at=now + timedelta(seconds=self.ttl),
                        )
                    )
                return None
            except IntegrityError:
                pass
            with self._engine.connect() as connection:
                row = connection.execute(
                    select(T).where(T.c.scope == scope, T.c.key == key)
                ).first()
            if row is None:
                continue  # finished and released meanwhile: claim it again
            if row.request_hash != fingerprint:
                raise IdempotencyKeyReusedError(
                    "this Idempotency-Key was used for a different request (another operation "
                    "or body); use a new key for a new request",
                    key=key,
                )
            if row.status is None:
                raise IdempotencyKeyInUseError(
                    "the first request with this Idempotency-Key is still being carried out; "
                    "retry later for its answer",
                    key=key,
                )
            return KeptAnswer(int(row.status), row.content_type, bytes(row.body or b""))
        raise IdempotencyKeyInUseError(
            "this Idempotency-Key is being claimed by another request; retry later", key=key
        )

    def finish(self, scope: str, key: str, answer: KeptAnswer) -> None:
        """Keep ``answer`` for ``key`` (until the key expires)."""
        with self._engine.begin() as connection:
            connection.execute(
                update(T)
                .where(T.c.scope == scope, T.c.key == key, T.c.status.is_(None))
                .values(status=answer.status, content_type=answer.content_type, body=answer.body)
            )

    def release(self, scope: str, key: str) -> None:
        """Forget the claim of ``key`` (its answer is not kept: it may be retried)."""
        with self._engine.begin() as connection:
            connection.execute(
                delete(T).where(
                    and_(T.c.scope == scope, T.c.key == key),
                    or_(T.c.status.is_(None), T.c.status >= 500),
                )
            )
