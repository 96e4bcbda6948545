"""A seeded history with known answers for the provenance tests (registry, API and CLI).

Two data resources A and B, a product P derived from both and a product Q derived from P.
A's life after issue: sold to the buyer, pledged by the buyer to the bank, licensed by the
buyer, frozen and unfrozen by a regulator, the pledge released, then inherited back by the
holder. The block after each step is recorded, so tests can ask "as of" any of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.context import RegistryContext
from registry.domain.evidence import parse_fingerprint
from registry.indexer.follow import Indexer
from tests.registry.registration.conftest import travel
from tests.registry.rights.test_service import (
    DAY,
    bank,
    buyer,
    grant_regulator,
    holder,
    issue,
    licence_terms,
    licensee,
    pledge_terms,
    record_domestic,
)

FP_A = 0xA1


@dataclass(frozen=True)
class Scenario:
    a: int
    b: int
    p: int
    q: int
    number_a: str
    number_p: str
    issued_a: int  # head after A was issued
    sold: int  # head after the sale to the buyer
    pledge_id: int
    licence_id: int
    voucher: str
    released: int
    inherited: int  # head after the transfer back (the last step)


def number_of(ctx: RegistryContext, token: int) -> str:
    number = ctx.registrations.get(token).certificate_number
    assert number is not None
    return number


def build(ctx: RegistryContext) -> Scenario:
    # the parties' countries first (``issue`` records them after its first issue otherwise),
    # so the head after A's issue is the block that issued it
    record_domestic(ctx)
    ctx.evidence.anchor(parse_fingerprint("0x" + f"{FP_A:02x}" * 32), holder())
    a = issue(ctx, fp=FP_A, name="港口集装箱吞吐量数据集 A")
    issued_a = ctx.client.head()
    b = issue(ctx, fp=0xB1, name="航运气象数据集 B")
    p = issue(ctx, fp=0xC1, name="港口拥堵指数产品 P", asset_kind="product", parents=[a, b])
    q = issue(ctx, fp=0xD1, name="航线预测产品 Q", asset_kind="product", parents=[p])
    regulator = grant_regulator(ctx)
    rights = ctx.rights
    rights.transfer(a, buyer().address, "sale", "买卖合同 2026-001", holder())
    sold = ctx.client.head()
    travel(ctx.client, DAY)  # later events at later times: "as of" a time is unambiguous
    pledge = rights.sign_and_register(pledge_terms(ctx, a), buyer(), bank(), ctx.operator)
    licence = rights.grant_licence(a, licence_terms(ctx, licensee()), buyer())
    rights.freeze(a, "(2026)粤01执保9号", regulator)
    rights.unfreeze(a, "(2026)粤01执保9号之一", regulator)
    rights.release(pledge.id, bank())
    released = ctx.client.head()
    travel(ctx.client, DAY)
    rights.transfer(a, holder().address, "inheritance", "继承公证书 2026-7", buyer())
    inherited = ctx.client.head()
    Indexer(ctx.client, ctx.manifest, ctx.engine).sync_once()
    return Scenario(
        a=a,
        b=b,
        p=p,
        q=q,
        number_a=number_of(ctx, a),
        number_p=number_of(ctx, p),
        issued_a=issued_a,
        sold=sold,
        pledge_id=pledge.id,
        licence_id=licence.id,
        voucher=licence.voucher_number,
        released=released,
        inherited=inherited,
    )
