"""Natural persons' full identifiers, kept off chain and out of every public document
(docs/privacy.md).

The public metadata of a natural person's certificate carries the masked identifier and a
commitment, ``SHA-256(salt ‖ type ‖ 0x00 ‖ identifier)``; this store keeps the identifier and the
salt under that commitment, so the holder, its registrar and regulators can be shown the full
identifier and anyone it is disclosed to can check it against the chain.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from registry.db.models import private_identifier_table
from registry.db.writes import staged_rows, write_new
from registry.domain.identifiers import SALT_BYTES, identifier_commitment


@dataclass(frozen=True)
class PrivateIdentity:
    """A natural person's full identifier and the salt of its commitment."""

    identifier_type: str
    identifier: str
    salt: bytes
    commitment: str

    @property
    def recomputed(self) -> str:
        """The commitment recomputed from the identifier and the salt."""
        return identifier_commitment(self.identifier_type, self.identifier, self.salt)


class IdentityStore:
    """The private store: ``commit`` makes (or finds) the salt of an identifier for a holder and
    dataset; ``get`` finds the identifier behind a commitment."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def commit(
        self, identifier_type: str, identifier: str, holder_address: str, fingerprint: str
    ) -> PrivateIdentity:
        """The commitment of ``identifier`` for the document of ``holder_address`` and
        ``fingerprint``: the one made before for the same four values (so the typed data an
        applicant signs and the application it submits hash alike), else a new one with a fresh
        random salt, stored before it is returned (inside a request's staging scope: written
        when the request succeeds, :mod:`registry.db.writes`)."""
        table = private_identifier_table
        key = (
            table.c.identifier_type == identifier_type,
            table.c.identifier == identifier,
            table.c.holder_address == holder_address.lower(),
            table.c.fingerprint == fingerprint.lower(),
        )
        with self._engine.connect() as connection:
            row = connection.execute(
                select(table.c.commitment, table.c.salt)
                .where(*key)
                .order_by(table.c.created_at, table.c.commitment)
                .limit(1)
            ).first()
        if row is not None:
            salt = bytes.fromhex(str(row.salt)[2:])
            return PrivateIdentity(identifier_type, identifier, salt, str(row.commitment))
        wanted = (identifier_type, identifier, holder_address.lower(), fingerprint.lower())
        for staged in staged_rows(table):  # made earlier in this request, not yet written
            if (
                staged["identifier_type"],
                staged["identifier"],
                staged["holder_address"],
                staged["fingerprint"],
            ) == wanted:
                salt = bytes.fromhex(str(staged["salt"])[2:])
                return PrivateIdentity(identifier_type, identifier, salt, str(staged["commitment"]))
        salt = secrets.token_bytes(SALT_BYTES)
        commitment = identifier_commitment(identifier_type, identifier, salt)
        values = {
            "commitment": commitment,
            "identifier_type": identifier_type,
            "identifier": identifier,
            "salt": "0x" + salt.hex(),
            "holder_address": holder_address.lower(),
            "fingerprint": fingerprint.lower(),
            "created_at": datetime.now(tz=UTC),
        }
        write_new(self._engine, table, [values])  # staged until the request succeeds
        return PrivateIdentity(identifier_type, identifier, salt, commitment)

    def get(self, commitment: str) -> PrivateIdentity | None:
        """The identifier and salt behind ``commitment``, if this service holds them."""
        table = private_identifier_table
        for staged in staged_rows(table):
            if staged["commitment"] == commitment.lower():
                return PrivateIdentity(
                    str(staged["identifier_type"]),
                    str(staged["identifier"]),
                    bytes.fromhex(str(staged["salt"])[2:]),
                    commitment.lower(),
                )
        with self._engine.connect() as connection:
            row = connection.execute(
                select(table.c.identifier_type, table.c.identifier, table.c.salt).where(
                    table.c.commitment == commitment.lower()
                )
            ).first()
        if row is None:
            return None
        return PrivateIdentity(
            str(row.identifier_type),
            str(row.identifier),
            bytes.fromhex(str(row.salt)[2:]),
            commitment.lower(),
        )
