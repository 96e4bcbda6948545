"""A registry context on the session chain with one configured registrar (code 440)."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from registry.chain.client import ChainClient, dev_account
from registry.context import RegistryContext
from registry.db.engine import migrate
from registry.domain.deployment import DeploymentManifest
from registry.domain.identifiers import make_uscc
from registry.domain.registration import AssetMetadata, RegistrarPolicy
from registry.settings import Settings
from tests.conftest import admin as governor

REGISTRAR_CODE = 440
NOTICE = 15 * 86_400


def metadata(holder_address: str, fingerprint_byte: int = 0xA1, **changes: Any) -> AssetMetadata:
    """A complete, valid application for ``holder_address``; ``changes`` override fields."""
    base: dict[str, Any] = {
        "name": "港口集装箱吞吐量数据集 2025",
        "description": "广州港各港区按日统计的集装箱吞吐量与靠泊船次",
        "asset_kind": "resource",
        "rights": ["holding", "processing_use"],
        "holder": {
            "name": "广州港航物流数据有限公司",
            "identifier_type": "uscc",
            "identifier": make_uscc("91440101MA5CXXXX0"),
            "address": holder_address,
        },
        "applicant_type": 1,
        "industry": "交通运输",
        "region": "440100",
        "application_scenarios": ["航运物流调度", "港口经济分析"],
        "data_source": {"kind": 1, "proof": "港区闸口系统自行采集，含采集授权说明"},
        "structure": "日期, 泊位, 集装箱吞吐量_TEU, 靠泊船次",
        "scale": {"records": 1344, "bytes": 52_000, "files": 12},
        "format": "CSV",
        "update_frequency": "monthly",
        "storage_location": "广州南沙数据中心",
        "processing_rules": "按泊位和日期汇总闸口记录，剔除重复过闸",
        "classification": "general",
        "fingerprint": "0x" + f"{fingerprint_byte:02x}" * 32,
    }
    base.update(changes)
    return AssetMetadata.model_validate(base)


@pytest.fixture
def ctx(
    chain: ChainClient, deployment: DeploymentManifest, test_settings: Settings
) -> RegistryContext:
    deployment.save(test_settings.manifest_path)
    migrate(test_settings.effective_database_url)
    context = RegistryContext.open(test_settings, client=chain)
    admin = governor()
    context.registrations.configure_registrar(
        REGISTRAR_CODE,
        RegistrarPolicy(
            active=True, objections_open_to_all=True, evidence_required=False, notice_period=NOTICE
        ),
        admin,
        name="广东省数据资产登记中心",
        region="440000",
    )
    context.registrations.set_registrar_account(REGISTRAR_CODE, registrar().address, admin)
    for index in range(1, 8):
        chain.rpc("anvil_setBalance", [dev_account(index).address, hex(10**20)])
    return context


def registrar() -> LocalAccount:
    return dev_account(7)


def travel(chain: ChainClient, seconds: int) -> None:
    chain.rpc("evm_increaseTime", [seconds])
    chain.rpc("evm_mine")
