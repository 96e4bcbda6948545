"""Off-chain documents addressed by their SHA-256, and registrar profiles (service data).

The chain records hashes (metadata, reasons, objection evidence); the bytes live here so the API
can serve them and anyone can check them against the chain.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from registry.db.models import REGISTRAR_NAME_LENGTH, document_table, registrar_profile_table
from registry.db.writes import staged_rows, write_new
from registry.errors import InputError

_REGION = re.compile(r"^\d{6}$")


def sha256(body: bytes) -> bytes:
    return hashlib.sha256(body).digest()


class DocumentStore:
    """Content-addressed storage: ``put`` returns the hash, ``get`` the bytes.

    Inside a request's staging scope (:func:`registry.db.writes.staging`) ``put`` only stages
    the document: it is written when the request succeeds, and never if it is refused."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def put(self, body: bytes, media_type: str) -> bytes:
        digest = sha256(body)
        row = {
            "hash": "0x" + digest.hex(),
            "media_type": media_type,
            "body": body,
            "created_at": datetime.now(tz=UTC),
        }
        write_new(self._engine, document_table, [row])
        return digest

    def put_text(self, text: str) -> bytes:
        return self.put(text.encode("utf-8"), "text/plain; charset=utf-8")

    def put_optional_text(self, text: str | None) -> bytes:
        """Store ``text`` and return its SHA-256; 32 zero bytes (the chain's "none") for no text."""
        return self.put_text(text) if text else bytes(32)

    def get(self, digest: bytes) -> tuple[bytes, str] | None:
        key = "0x" + digest.hex()
        for staged in staged_rows(document_table):
            if staged["hash"] == key:
                return bytes(staged["body"]), str(staged["media_type"])
        with self._engine.connect() as connection:
            row = connection.execute(
                select(document_table.c.body, document_table.c.media_type).where(
                    document_table.c.hash == "0x" + digest.hex()
                )
            ).first()
        return None if row is None else (bytes(row.body), str(row.media_type))


class RegistrarDirectory:
    """Public names of registration agencies by registrar code."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @staticmethod
    def check(name: str, region: str | None) -> None:
        """Refuse a name or region the table cannot hold, the same way on every database
        (PostgreSQL enforces column lengths, SQLite would keep any text)."""
        if not 1 <= len(name) <= REGISTRAR_NAME_LENGTH:
            raise InputError(
                f"a registrar's name has 1 to {REGISTRAR_NAME_LENGTH} characters, not {len(name)}"
            )
        if region is not None and not _REGION.match(region):
            raise InputError(
                f"region {region!r} must be a 6-digit administrative division code", region=region
            )

    def set(self, code: int, name: str, region: str | None = None) -> None:
        self.check(name, region)
        table = registrar_profile_table
        row = {"code": code, "name": name, "region": region, "updated_at": datetime.now(tz=UTC)}
        with self._engine.begin() as connection:
            connection.execute(table.delete().where(table.c.code == code))
            connection.execute(table.insert().values(row))

    def name(self, code: int) -> str | None:
        with self._engine.connect() as connection:
            value = connection.execute(
                select(registrar_profile_table.c.name).where(registrar_profile_table.c.code == code)
            ).scalar_one_or_none()
        return None if value is None else str(value)
