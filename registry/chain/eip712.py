"""EIP-712 typed data: one builder and one signer for every message the registry uses."""

from __future__ import annotations

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


def sign_typed_data(typed: dict[str, Any], signer: LocalAccount) -> bytes:
    """The 65-byte signature of ``typed`` by ``signer``."""
    return bytes(signer.sign_message(encode_typed_data(full_message=typed)).signature)
