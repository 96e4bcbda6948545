"""The ERC-721 wallet metadata of a certificate: what ``tokenURI`` serves.

Wallets and marketplaces render a token from the JSON at its ``tokenURI`` following the ERC-721
metadata JSON schema (``name``, ``description``, ``image``) and the widely used extensions
(``external_url``, ``attributes`` as ``trait_type``/``value`` pairs, ``display_type: "date"``
with unix seconds). This module makes that JSON from a :class:`CertificateDocument`, so every
fact is the chain's at one block, the standing is ``doc.standing`` and the holder is the current
one (``doc.holder``). The registered metadata document, whose SHA-256 is the on-chain
``metadataHash``, is not this JSON: it is served beside it (``registered_metadata.url``) with its
hash, so anyone can fetch and check it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from registry.certificates import labels
from registry.certificates.document import CertificateDocument
from registry.certificates.standing import ENCUMBRANCE_LABELS
from registry.certificates.urls import card_url, registered_metadata_url, verification_url
from registry.registration.service import METADATA_MEDIA_TYPE


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Attribute(_Frozen):
    """One trait a wallet lists under the token."""

    trait_type: str
    value: str | int
    display_type: Literal["date", "number"] | None = Field(
        default=None, description='"date": value is unix seconds; "number": a plain number'
    )


class RegisteredMetadata(_Frozen):
    """Where the registered metadata document is served and how to check it."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    url: str = Field(description="GET it: the exact canonical bytes (RFC 8785)")
    metadata_hash: str = Field(
        alias="metadataHash", description="their SHA-256, as the chain's metadataHash records it"
    )
    media_type: str = Field(alias="mediaType")


class AsOf(_Frozen):
    block: int = Field(description="every fact is the chain's at this block")
    time: datetime = Field(description="that block's time")


class WalletMetadata(_Frozen):
    """ERC-721 metadata of a certificate (the ``tokenURI`` JSON)."""

    name: str = Field(description="asset name and certificate number")
    description: str = Field(description="one paragraph, Chinese and English, with the standing")
    image: str = Field(description="the certificate card (SVG)")
    external_url: str = Field(description="the public verification page")
    attributes: list[Attribute]
    registered_metadata: RegisteredMetadata
    as_of: AsOf


def _date(moment: datetime) -> int:
    return int(moment.timestamp())


def attributes(doc: CertificateDocument) -> list[Attribute]:
    """The certificate's traits: kind, each right, classification, registrar, standing, each
    encumbrance, dates, numbers, version, the current holder and the block they are as of."""
    standing = doc.standing
    return [
        Attribute(trait_type="Status", value=standing.headline),
        *(
            Attribute(trait_type="Encumbrance", value=labels.both(ENCUMBRANCE_LABELS[e]))
            for e in standing.encumbrances
        ),
        Attribute(trait_type="Asset kind", value=labels.both(labels.ASSET_KIND[doc.asset_kind])),
        *(Attribute(trait_type="Right", value=labels.both(labels.RIGHT[r])) for r in doc.rights),
        Attribute(
            trait_type="Classification",
            value=labels.both(labels.CLASSIFICATION[doc.classification]),
        ),
        Attribute(trait_type="Registrar", value=doc.registrar.name or str(doc.registrar.code)),
        Attribute(trait_type="Registrar code", value=doc.registrar.code, display_type="number"),
        Attribute(trait_type="Holder", value=doc.holder.name),
        Attribute(trait_type="Holder address", value=doc.holder.address),
        Attribute(trait_type="Issued", value=_date(doc.issued_at), display_type="date"),
        Attribute(trait_type="Valid until", value=_date(doc.valid_until), display_type="date"),
        Attribute(trait_type="Certificate number", value=doc.certificate_number),
        Attribute(trait_type="Registration number", value=doc.registration_number),
        Attribute(trait_type="Version", value=doc.version, display_type="number"),
        Attribute(trait_type="As of block", value=standing.as_of_block, display_type="number"),
    ]


def description(doc: CertificateDocument) -> str:
    """One paragraph, Chinese then English: what the token is and its standing as of a block."""
    standing = doc.standing
    registrar = doc.registrar.name or f"registrar {doc.registrar.code}"
    at = labels.iso_utc(standing.as_of_time)
    return (
        f"数据资产登记证书（证书编号 {doc.certificate_number}），由{registrar}登记，"
        f"登记资产“{doc.asset_name}”。截至区块 {standing.as_of_block}（{at}）："
        f"{standing.headline_zh}。"
        f" Data asset registration certificate No. {doc.certificate_number}, registered by "
        f"{registrar}, for the asset “{doc.asset_name}”. As of block {standing.as_of_block} "
        f"({at}): {standing.headline_en}. Verify it on the public page linked as external_url; "
        "the registered metadata whose SHA-256 is on chain is linked as registered_metadata."
    )


def wallet_metadata(doc: CertificateDocument, base_url: str) -> WalletMetadata:
    """The ``tokenURI`` JSON of ``doc``; every URL is on ``base_url`` (``DAREG_PUBLIC_URL``)."""
    number = doc.certificate_number
    return WalletMetadata(
        name=f"{doc.asset_name} · {number}",
        description=description(doc),
        image=card_url(base_url, number),
        external_url=verification_url(base_url, number),
        attributes=attributes(doc),
        registered_metadata=RegisteredMetadata(
            url=registered_metadata_url(base_url, number),
            metadata_hash=doc.metadata_hash,
            media_type=METADATA_MEDIA_TYPE,
        ),
        as_of=AsOf(block=doc.standing.as_of_block, time=doc.standing.as_of_time),
    )
