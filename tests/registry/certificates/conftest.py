"""An issued certificate on the session chain, and a service that holds a registrar's key.

The registration context (``ctx``: registrar code 440, registrar account ``registrar()``) comes
from tests/registry/conftest.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from registry.chain.client import ChainClient, dev_account
from registry.context import RegistryContext
from registry.domain.evidence import parse_fingerprint
from tests.registry.registration.conftest import (
    NOTICE,
    REGISTRAR_CODE,
    metadata,
    registrar,
    travel,
)

HOLDER_INDEX = 1
FINGERPRINT = "0x" + "a1" * 32


def rich_metadata(holder_address: str, fingerprint_byte: int = 0xA1, **changes: Any) -> Any:
    """The standard application with every optional field filled in."""
    fields: dict[str, Any] = {
        "category": "港航物流 / 集装箱",
        "data_source": {
            "kind": 2,
            "proof": "与广州港集团签订的数据授权协议（2024-0815号）",
            "proof_hash": "0x" + "cd" * 32,
        },
        "scale": {"records": 1344, "bytes": 52_000, "files": 12, "description": "2025 年全年"},
        "special_statements": {
            "personal_information": "不含个人信息",
            "public_data": "不含公共数据",
        },
        "source_agreement_end": date(2030, 12, 31),
    }
    fields.update(changes)
    return metadata(holder_address, fingerprint_byte, **fields)


def issue_certificate(
    context: RegistryContext, chain: ChainClient, holder_index: int = HOLDER_INDEX, fp: int = 0xA1
) -> str:
    """Anchor, apply, review, notice, issue: the new certificate's number."""
    holder = dev_account(holder_index)
    context.evidence.anchor(parse_fingerprint("0x" + f"{fp:02x}" * 32), holder)
    doc = rich_metadata(holder.address, fp)
    reg = context.registrations.sign_and_submit(doc, REGISTRAR_CODE, holder, context.operator)
    context.registrations.accept(reg.id, registrar())
    context.registrations.open_notice(reg.id, registrar())
    travel(chain, NOTICE + 1)
    number = context.registrations.issue(reg.id, registrar()).certificate_number
    assert number is not None
    return number


@pytest.fixture
def signing_ctx(ctx: RegistryContext) -> RegistryContext:
    """``ctx`` whose service holds the key of ``registrar()``, the staff account of registrar
    440 (``DAREG_CREDENTIAL_KEY``), so it signs credentials; never the operator's, which holds
    no role."""
    ctx.credential_account = registrar()
    ctx.certificates = replace(ctx.certificates, registrar_account=registrar())
    return ctx


@pytest.fixture
def certificate(ctx: RegistryContext, chain: ChainClient) -> str:
    return issue_certificate(ctx, chain)
