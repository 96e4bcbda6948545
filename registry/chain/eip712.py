"""EIP-712 typed data: one builder and one signer for every message the registry uses.

A contract's struct is written once, as :class:`SignedStruct`: the name and version of the
contract's signing domain and the struct's ``encodeType`` string, the very text the contract
hashes into its typehash (``Anchor(bytes32 fingerprint,address anchorer,...)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount

DOMAIN_TYPES: list[dict[str, str]] = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def typed_data(
    *,
    name: str,
    version: str,
    chain_id: int,
    contract: str,
    primary_type: str,
    types: dict[str, list[dict[str, str]]],
    message: dict[str, Any],
) -> dict[str, Any]:
    """A complete EIP-712 document (``types`` holds the primary type and any it refers to)."""
    return {
        "types": {"EIP712Domain": DOMAIN_TYPES, **types},
        "primaryType": primary_type,
        "domain": {
            "name": name,
            "version": version,
            "chainId": chain_id,
            "verifyingContract": contract,
        },
        "message": message,
    }


@dataclass(frozen=True, slots=True)
class SignedStruct:
    """An EIP-712 struct one of the registry's contracts checks signatures of.

    ``encode_type`` is the struct's ``encodeType`` as the contract's typehash spells it,
    ``Name(type1 field1,type2 field2,...)`` (no nested structs); ``domain`` and ``version``
    are the contract's EIP-712 domain name and version.
    """

    domain: str
    encode_type: str
    version: str = "1"

    @property
    def primary_type(self) -> str:
        return self.encode_type.partition("(")[0]

    @property
    def fields(self) -> list[dict[str, str]]:
        """The struct's fields as EIP-712 ``types`` list them, in the typehash's order."""
        members = self.encode_type.partition("(")[2].removesuffix(")")
        return [
            {"name": name, "type": kind}
            for kind, name in (member.split(" ") for member in members.split(","))
        ]

    def typed_data(self, chain_id: int, contract: str, message: dict[str, Any]) -> dict[str, Any]:
        """The EIP-712 document of ``message`` for the contract at ``contract`` on ``chain_id``."""
        return typed_data(
            name=self.domain,
            version=self.version,
            chain_id=chain_id,
            contract=contract,
            primary_type=self.primary_type,
            types={self.primary_type: self.fields},
            message=message,
        )


def sign_typed_data(typed: dict[str, Any], signer: LocalAccount) -> bytes:
    """The 65-byte signature of ``typed`` by ``signer``."""
    return bytes(signer.sign_message(encode_typed_data(full_message=typed)).signature)
