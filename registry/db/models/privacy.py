"""The private part of natural persons' identifiers (service data, never public; docs/privacy.md).

A natural person's resident identity number or passport number is never in a public document:
the metadata whose hash is on chain carries its masked form and a salted commitment. The full
identifier and the salt live only here, keyed by that commitment. The chain cannot rebuild these
rows (it holds hashes only), so they are backed up with the service's documents and never
touched by the indexer or a rollback.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from registry.db.models.base import ADDRESS_LENGTH, HASH_LENGTH, UTCDateTime

#: ``ShortText`` in registry.domain.registration.
IDENTIFIER_LENGTH = 200


class PrivateIdentifier(SQLModel, table=True):
    """A natural person's full identifier and the salt of its commitment.

    ``commitment`` is ``0x`` + SHA-256(salt ‖ identifier_type ‖ 0x00 ‖ identifier), as the
    public metadata carries it. ``holder_address`` and ``fingerprint`` are those of the document
    it was made for: an applicant who asks for the typed data and then submits the same
    application gets the same salt, so the hash it signed is the hash submitted.
    """

    __tablename__: ClassVar[str] = "private_identifier"
    __table_args__ = (
        Index(
            "ix_private_identifier_holder",
            "identifier_type",
            "identifier",
            "holder_address",
            "fingerprint",
        ),
    )

    commitment: str = Field(sa_type=String(HASH_LENGTH), primary_key=True)
    identifier_type: str = Field(sa_type=String(16))
    identifier: str = Field(sa_type=String(IDENTIFIER_LENGTH))
    salt: str = Field(sa_type=String(HASH_LENGTH), description="0x + 64 hex digits")
    holder_address: str = Field(sa_type=String(ADDRESS_LENGTH))
    fingerprint: str = Field(sa_type=String(HASH_LENGTH))
    created_at: datetime = Field(sa_type=UTCDateTime)
