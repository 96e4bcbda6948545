"""The demo registry: who is in it and what happened, dated over the last four months.

On a fresh embedded chain whose clock starts :data:`HISTORY_DAYS` in the past, the seeding
replays a plausible history: the registry's admin (development account 20, never the operator)
sets up three registration agencies and binds their staff, grants the regulator and pauser
roles; four companies and a natural person (张三, whose resident identity number is public
only masked and committed: docs/privacy.md) anchor their datasets (存证) and apply; the
agencies review, publish notices, take an objection, issue certificates (one in a batch,
one to the natural person), a resource is licensed for a
data product derived from it (a product's applicant holds each parent or a processing-use
licence on it), and later a version change, a cancellation, a revocation and an expiry happen.
Time moves with ``evm_increaseTime``; at the end the chain clock is brought back to the wall
clock. Everything is deterministic (seeded RNG), so fingerprints repeat.

Every actor signs its own action, as on a real registry: the admin, registrar staff, the
regulator, the appraiser and the holders each act with their own development account, either
as their own transaction or as a forward request the operator relays (ERC-2771); the operator
(account 0) only pays for relayed requests and holds no role on any contract.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from registry.audit.access_log import recording_as
from registry.chain.client import DEV_ADMIN_INDEX, DEV_PAUSER_INDEX, dev_account
from registry.context import DEV_CHAIN_IDS, DEV_CREDENTIAL_INDEX, RegistryContext
from registry.demo import datasets as ds
from registry.domain.access import Channel
from registry.domain.chain import ContractCall
from registry.domain.identifiers import NATURAL_PERSON_TYPES, make_id_card, make_uscc
from registry.domain.numbers import CST
from registry.domain.registration import AssetMetadata, RegistrarPolicy, Right
from registry.domain.rights import LicenceTerms, PledgeTerms, Purpose, Territory, TransferReason
from registry.domain.valuation import (
    Computation,
    ValuationMethod,
    ValuationPurpose,
    ValuationSubmission,
)
from registry.errors import ConfigurationError
from registry.evidence.fingerprint import fingerprint_path

MANIFEST = "registrants.json"
#: The development account of the demo's natural-person registrant (no test or role uses it).
NATURAL_PERSON_INDEX = 14
#: How far in the past the demo chain's clock starts (``anvil --timestamp``).
HISTORY_DAYS = 120
DAY = 86_400


@dataclass(frozen=True)
class Party:
    name: str
    identifier: str
    region: str
    industry: str
    account_index: int
    #: ``uscc`` for a legal entity (public); ``id_card`` for a natural person, whose identifier
    #: the registry never publishes in full (docs/privacy.md)
    identifier_type: str = "uscc"

    @property
    def account(self) -> LocalAccount:
        return dev_account(self.account_index)

    @property
    def natural_person(self) -> bool:
        return self.identifier_type in NATURAL_PERSON_TYPES


REGISTRANTS: dict[str, Party] = {
    "port": Party(
        "广州港航物流数据有限公司", make_uscc("91440101MA5CGK8T2"), "440100", "交通运输", 1
    ),
    "clinic": Party(
        "深圳星河医疗信息科技有限公司", make_uscc("91440300MA5HXY6K3"), "440300", "卫生健康", 2
    ),
    "weather": Party(
        "珠海江海气象服务有限公司", make_uscc("91440400MA4WQ7LD1"), "440400", "气象服务", 3
    ),
    "factory": Party(
        "佛山智造工业互联网有限公司", make_uscc("91440600MA4UF2EN9"), "440600", "工业制造", 4
    ),
    # a natural person (自然人): a researcher registering field survey data collected in person;
    # the resident identity number is public only masked (440106********0029), docs/privacy.md
    "zhangsan": Party(
        "张三",
        make_id_card("44010619850612002"),
        "440100",
        "文化旅游",
        NATURAL_PERSON_INDEX,
        identifier_type="id_card",
    ),
}
#: A competitor with an interest in the clinic data (objects during its notice).
OBJECTOR = Party(
    "深圳康联健康数据有限公司", make_uscc("91440300MA5KL3RG7"), "440300", "卫生健康", 5
)
#: The lender of the data-backed loan, and the data bureau acting as regulator.
BANK = Party("粤海农村商业银行股份有限公司", make_uscc("91440100MA59BNK4X"), "440100", "金融业", 6)
#: An appraisal firm, accredited by the regulator (it never holds gas: its acts are relayed).
APPRAISER = Party(
    "中联资产评估集团（示例）", make_uscc("91110000MA01APR7X"), "110000", "商务服务", 10
)
REGULATOR = Party(
    "广东省数据管理局（示例）", make_uscc("11440000MB2D8GDJ5"), "440000", "公共管理", 7
)

#: The registry's admin (a multisig or timelock in production) and its emergency pauser.
ADMIN = Party(
    "数据资产登记平台管理委员会（示例）",
    make_uscc("11440000MB2D8ADM1"),
    "440000",
    "公共管理",
    DEV_ADMIN_INDEX,
)
PAUSER = Party(
    "数据资产登记平台运维值班（示例）",
    make_uscc("11440000MB2D8PAU2"),
    "440000",
    "公共管理",
    DEV_PAUSER_INDEX,
)

#: code -> (name, region, staff account index, policy). Registrar 440's staff account is the
#: one the embedded service signs certificate credentials with (``DEV_CREDENTIAL_INDEX``).
REGISTRARS: dict[int, tuple[str, str, int, RegistrarPolicy]] = {
    440: (
        "广东省数据资产登记中心",
        "440000",
        DEV_CREDENTIAL_INDEX,
        RegistrarPolicy(True, True, False, 15 * DAY),
    ),
    441: ("深圳数据资产登记服务部", "440300", 8, RegistrarPolicy(True, False, False, 10 * DAY)),
    442: ("珠海数据资产登记站", "440400", 9, RegistrarPolicy(True, True, True, 15 * DAY)),
}


@dataclass(frozen=True)
class Dataset:
    key: str
    title: str
    owner: str
    registrar: int
    write: ds.Writer
    meta: dict[str, Any] = field(default_factory=dict)


def _row_drugs(rng: random.Random, i: int) -> list[object]:
    return [
        f"2025-{1 + i % 12:02d}",
        rng.choice(["广州", "深圳", "东莞"]),
        f"药品{i % 40:03d}",
        rng.randint(10, 9000),
    ]


def _row_typhoon(rng: random.Random, i: int) -> list[object]:
    return [
        f"TY{2000 + i // 40}{i % 40:02d}",
        round(rng.uniform(15, 30), 2),
        round(rng.uniform(105, 125), 2),
        rng.randint(20, 70),
    ]


def _row_energy(rng: random.Random, i: int) -> list[object]:
    return [
        f"2025-{1 + i // 600:02d}-{1 + (i // 20) % 28:02d}",
        f"line-{'ab'[i % 2]}",
        round(rng.uniform(80, 400), 1),
    ]


def _row_faults(rng: random.Random, i: int) -> list[object]:
    return [
        f"E{i:05d}",
        rng.choice(["轴承磨损", "过热", "振动异常", "正常"]),
        round(rng.uniform(0, 1), 3),
    ]


def _row_insurance(rng: random.Random, i: int) -> list[object]:
    return [
        f"2025-{1 + i % 12:02d}",
        rng.choice(["门诊", "住院", "药店"]),
        rng.randint(1000, 900000),
    ]


def _row_arcades(rng: random.Random, i: int) -> list[object]:
    return [
        rng.choice(["北京路", "上下九", "恩宁路", "一德路", "人民南路"]),
        f"QL-{i:04d}",
        rng.choice(["1920年代", "1930年代", "1950年代"]),
        rng.choice(["完好", "局部破损", "已修缮"]),
    ]


def _row_index(rng: random.Random, i: int) -> list[object]:
    return [f"2025-W{1 + i:02d}", round(rng.uniform(80, 120), 2), round(rng.uniform(0, 1), 3)]


DATASETS: list[Dataset] = [
    Dataset(
        "port",
        "港口集装箱吞吐量 2025",
        "port",
        440,
        ds.port_throughput,
        {
            "format": "CSV",
            "update_frequency": "monthly",
            "scenarios": ["航运物流调度", "港口经济分析"],
        },
    ),
    Dataset(
        "vessels",
        "船舶到港记录 2025",
        "port",
        440,
        ds.vessel_calls,
        {"format": "CSV", "update_frequency": "daily", "scenarios": ["船期预测", "航运保险定价"]},
    ),
    Dataset(
        "clinic",
        "脱敏门诊统计 2025",
        "clinic",
        441,
        ds.clinic_stats,
        {
            "format": "CSV + Markdown",
            "update_frequency": "weekly",
            "scenarios": ["医疗资源规划"],
            "personal_information": "仅含聚合统计，已去标识化，不含可识别个人的信息",
        },
    ),
    Dataset(
        "weather",
        "华南逐时气象观测",
        "weather",
        442,
        ds.weather,
        {
            "format": "CSV",
            "update_frequency": "real_time",
            "scenarios": ["航运气象服务", "农业保险"],
            "source": 2,
            "agreement_days": 60,
        },
    ),
    Dataset(
        "telemetry",
        "设备运行时序数据 2025Q1",
        "factory",
        440,
        ds.machines,
        {"format": "CSV", "update_frequency": "real_time", "scenarios": ["预测性维护"]},
    ),
    Dataset(
        "faults",
        "设备故障标注数据",
        "factory",
        440,
        ds.table(["样本", "标注", "置信度"], _row_faults, 3000, "fault_labels.csv"),
        {
            "format": "CSV",
            "update_frequency": "irregular",
            "scenarios": ["故障识别模型训练"],
            "source": 3,
        },
    ),
    Dataset(
        "drugs",
        "药品零售流通统计",
        "clinic",
        441,
        ds.table(["月份", "城市", "品种", "销量"], _row_drugs, 2400, "drug_retail.csv"),
        {
            "format": "CSV",
            "update_frequency": "monthly",
            "scenarios": ["药品供应链分析"],
            "source": 3,
        },
    ),
    Dataset(
        "typhoon",
        "台风路径历史数据",
        "weather",
        442,
        ds.table(
            ["编号", "纬度", "经度", "最大风速_m_s"], _row_typhoon, 2000, "typhoon_tracks.csv"
        ),
        {"format": "CSV", "update_frequency": "yearly", "scenarios": ["巨灾保险精算"], "source": 4},
    ),
    Dataset(
        "energy",
        "产线能耗数据 2025",
        "factory",
        440,
        ds.table(["日期", "产线", "能耗_kWh"], _row_energy, 3600, "energy.csv"),
        {"format": "CSV", "update_frequency": "daily", "scenarios": ["碳排放核算"]},
    ),
    Dataset(
        "insurance",
        "医保结算汇总 2025",
        "clinic",
        441,
        ds.table(["月份", "类别", "结算金额_元"], _row_insurance, 600, "settlements.csv"),
        {
            "format": "CSV",
            "update_frequency": "monthly",
            "scenarios": ["医保基金监测"],
            "source": 4,
            "public_data": "依公共数据授权运营协议加工，仅含汇总数据",
        },
    ),
    Dataset(
        "arcades",
        "广州骑楼街区实地调研数据",
        "zhangsan",
        440,
        ds.table(["街道", "骑楼编号", "建成年代", "保存状况"], _row_arcades, 800, "arcades.csv"),
        {"format": "CSV", "update_frequency": "yearly", "scenarios": ["历史街区保护规划"]},
    ),
    Dataset(
        "index",
        "港航气象综合指数",
        "port",
        440,
        ds.table(["周次", "指数", "风险系数"], _row_index, 52, "port_weather_index.csv"),
        {
            "format": "CSV",
            "update_frequency": "weekly",
            "scenarios": ["航运风险定价"],
            "product": True,
        },
    ),
]


@dataclass
class Seeded:
    """What the demo created, written to ``var/demo/registrants.json`` for people and tests."""

    registrants: list[dict[str, Any]] = field(default_factory=list)
    registrars: list[dict[str, Any]] = field(default_factory=list)
    datasets: list[dict[str, Any]] = field(default_factory=list)
    registrations: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The accounts that govern the registry (admin, pauser, regulator) and the operator, which
    #: only relays and holds no role.
    governance: dict[str, str] = field(default_factory=dict)


class _Demo:
    def __init__(self, context: RegistryContext, directory: Path, seed: int) -> None:
        self.ctx = context
        self.dir = directory
        self.rng = random.Random(seed)  # noqa: S311 - reproducible sample data, not a secret
        self.fingerprints: dict[str, str] = {}
        self.paths: dict[str, Path] = {}
        self.ids: dict[str, int] = {}
        self.out = Seeded()

    # --- helpers -----------------------------------------------------------------------

    def advance(self, days: float) -> None:
        self.ctx.client.rpc("evm_increaseTime", [int(days * DAY)])
        self.ctx.client.rpc("evm_mine")

    def now(self) -> int:
        return self.ctx.client.block().timestamp

    def staff(self, code: int) -> LocalAccount:
        return dev_account(REGISTRARS[code][2])

    def as_admin(self, call: ContractCall) -> None:
        """An admin action the admin signs and the operator relays (ERC-2771): the authority
        records the admin as the actor."""
        self.ctx.relay.relay(call, ADMIN.account, self.ctx.operator)

    def govern(self) -> None:
        """The admin sets up the registrars and their staff (its own transactions) and grants
        the regulator and pauser roles (signed forward requests the operator relays)."""
        ctx, reg = self.ctx, self.ctx.registrations
        admin = ADMIN.account
        if not reg.is_admin(admin.address):
            raise ConfigurationError(
                f"--demo acts as the registry's admin, development account {DEV_ADMIN_INDEX} "
                f"({admin.address}); this registry was deployed with another admin "
                "(DAREG_ADMIN_ADDRESS): start the demo with it unset"
            )
        for code, (name, region, _staff, policy) in REGISTRARS.items():
            reg.configure_registrar(code, policy, admin, name=name, region=region)
            reg.set_registrar_account(code, self.staff(code).address, admin)
            self.out.registrars.append(
                {"code": code, "name": name, "account": self.staff(code).address}
            )
        self.as_admin(reg.regulator_call(REGULATOR.account.address, enabled=True))
        self.as_admin(reg.pauser_call(PAUSER.account.address, enabled=True))
        self.out.governance = {
            "admin": admin.address,
            "pauser": PAUSER.account.address,
            "regulator": REGULATOR.account.address,
            "operator": ctx.operator.address,
        }

    def write_and_anchor(self, d: Dataset, write: ds.Writer | None = None, suffix: str = "") -> str:
        root = self.dir / "datasets" / (d.key + suffix)
        (write or d.write)(root, self.rng)
        files = [p for p in root.rglob("*") if p.is_file()]
        target = root if len(files) > 1 else files[0]
        fp = fingerprint_path(target)
        owner = REGISTRANTS[d.owner].account
        self.ctx.evidence.sign_and_relay(fp.value, owner, self.ctx.operator)
        self.paths[d.key + suffix] = target
        return fp.hex

    def metadata(
        self, d: Dataset, fingerprint: str, parents: list[int] | None = None
    ) -> AssetMetadata:
        party = REGISTRANTS[d.owner]
        target = self.paths[d.key]
        files = [target] if target.is_file() else [p for p in target.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        rows = sum(max(0, p.read_bytes().count(b"\n") - 1) for p in files if p.suffix == ".csv")
        m = d.meta
        agreement = m.get("agreement_days")
        end = (
            datetime.fromtimestamp(self.now() + int(agreement) * DAY, tz=UTC).date()
            if agreement
            else None
        )
        product = bool(m.get("product"))
        return AssetMetadata.model_validate(
            {
                "name": d.title,
                "description": f"{party.name}的{d.title}",
                "asset_kind": "product" if product else "resource",
                "rights": ["product_operation"] if product else ["holding", "processing_use"],
                "holder": {  # a natural person's identifier in full: the service commits it
                    "name": party.name,
                    "identifier_type": party.identifier_type,
                    "identifier": party.identifier,
                    "address": party.account.address,
                },
                "applicant_type": 4 if party.natural_person else 1,
                "industry": party.industry,
                "region": party.region,
                "application_scenarios": m["scenarios"],
                "data_source": {
                    "kind": int(m.get("source", 1)),
                    "proof": {
                        1: "自有业务系统采集记录及采集授权说明",
                        2: "数据许可协议（编号见附件）",
                        3: "数据采购合同及交付验收单",
                        4: "公共数据授权运营协议",
                    }[int(m.get("source", 1))],
                },
                "structure": "见数据字典；字段：" + ", ".join(self._header(files)),
                "scale": {"records": rows, "bytes": size, "files": len(files)},
                "format": m["format"],
                "update_frequency": m["update_frequency"],
                "storage_location": f"{party.region[:4]}00 数据中心（境内）",
                "processing_rules": "清洗去重、字段标准化、按业务主键汇总；不含个人身份信息",
                "special_statements": {
                    "personal_information": m.get("personal_information"),
                    "public_data": m.get("public_data"),
                },
                "classification": "general",
                "fingerprint": fingerprint,
                "parents": parents or [],
                "source_agreement_end": end.isoformat() if end else None,
            }
        )

    @staticmethod
    def _header(files: list[Path]) -> list[str]:
        for p in sorted(files):
            if p.suffix == ".csv":
                return p.read_text(encoding="utf-8").split("\n", 1)[0].split(",")
        return ["（非表格数据）"]

    def apply(self, key: str, parents: list[int] | None = None) -> int:
        d = next(x for x in DATASETS if x.key == key)
        owner = REGISTRANTS[d.owner].account
        meta = self.metadata(d, self.fingerprints[key], parents)
        reg = self.ctx.registrations.sign_and_submit(meta, d.registrar, owner, self.ctx.operator)
        self.ids[key] = reg.id
        return reg.id

    def to_notice(self, key: str) -> None:
        code = next(x.registrar for x in DATASETS if x.key == key)
        self.ctx.registrations.accept(self.ids[key], self.staff(code))
        self.ctx.registrations.open_notice(self.ids[key], self.staff(code))

    # --- the story ------------------------------------------------------------------------

    def run(self) -> Seeded:
        reg = self.ctx.registrations
        self.govern()
        for d in DATASETS:
            if not d.meta.get("product"):
                self.fingerprints[d.key] = self.write_and_anchor(d)
        self.advance(1)
        # first wave: apply, review, notice (day 1 .. 17)
        for key in ("port", "vessels", "weather", "drugs", "typhoon", "arcades"):
            self.apply(key)
            self.to_notice(key)
        self.advance(16)
        reg.issue_batch([self.ids["port"], self.ids["vessels"]], self.staff(440))  # one batch
        for key, code in (("weather", 442), ("drugs", 441), ("typhoon", 442), ("arcades", 440)):
            reg.issue(self.ids[key], self.staff(code))
        # a data product derived from two issued resources (day 18 .. 34): the port holds its
        # own parent and takes a processing-use licence on the weather data it does not hold
        self.advance(1)
        self._lineage_licence()
        index = next(x for x in DATASETS if x.key == "index")
        self.fingerprints["index"] = self.write_and_anchor(index)
        self.apply("index", parents=[self.ids["port"], self.ids["weather"]])
        self.to_notice("index")
        self.advance(16)
        reg.issue(self.ids["index"], self.staff(440))
        # after issuance: a new version, a cancellation, a revocation (day 40)
        self.advance(6)
        vessels = next(x for x in DATASETS if x.key == "vessels")
        self.fingerprints["vessels"] = self.write_and_anchor(vessels, ds.vessel_calls_v2, "-v2")
        self.paths["vessels"] = self.paths["vessels-v2"]
        owner = REGISTRANTS["port"].account
        reg.change(self.ids["vessels"], self.metadata(vessels, self.fingerprints["vessels"]), owner)
        reg.cancel(self.ids["drugs"], "业务调整，不再对外提供该数据", REGISTRANTS["clinic"].account)
        reg.revoke(self.ids["typhoon"], 2, "复核发现数据来源授权已失效", self.staff(442))
        self._rights()
        # recent weeks: notice with an open objection, a return, a rejection, new applications
        self.advance(40)
        self.apply("clinic")
        self.to_notice("clinic")
        reg.grant_standing(self.ids["clinic"], OBJECTOR.account.address, self.staff(441))
        self.advance(1)
        objection = reg.file_objection(
            self.ids["clinic"],
            "我司对其中2025年第30-40周数据的来源享有独家许可，附许可协议。".encode(),
            "text/plain; charset=utf-8",
            OBJECTOR.account,
        )
        self.advance(3)
        self.apply("telemetry")
        reg.return_for_correction(
            self.ids["telemetry"], 1, "请补充设备数据采集授权说明", self.staff(440)
        )
        self.apply("faults")
        reg.reject(self.ids["faults"], 3, "标注数据来源于第三方，未能证明合法取得", self.staff(440))
        self.advance(5)
        self.apply("energy")
        self.apply("insurance")
        reg.accept(self.ids["insurance"], self.staff(441))
        self._record(objection)
        return self.out

    def _lineage_licence(self) -> None:
        """The weather service licenses the port to process its observations into a product:
        a product's applicant holds each parent or a live processing-use licence on it."""
        weather, port = REGISTRANTS["weather"].account, REGISTRANTS["port"].account
        now = datetime.fromtimestamp(self.now(), tz=UTC)
        # a licence ends with its certificate at the latest (here: the source agreement's end)
        end = now + timedelta(days=365)
        valid_until = self.ctx.registrations.get(self.ids["weather"]).valid_until
        if valid_until is not None:
            end = min(end, valid_until)
        self.ctx.rights.grant_licence(
            self.ids["weather"],
            LicenceTerms(
                licensee=port.address,
                right=Right.PROCESSING_USE,
                purposes=[Purpose.PRODUCT_DEVELOPMENT],
                territories=[Territory.MAINLAND_CHINA],
                start=now,
                end=end,
                fee_terms="港航气象综合指数开发许可，许可费人民币 50,000 元",
            ),
            weather,
        )

    def _rights(self) -> None:
        """Licences, a data-backed loan, a sale and a court freeze (day 41 .. 60)."""
        ctx, rights = self.ctx, self.ctx.rights
        port, weather, factory, clinic = (
            REGISTRANTS[k].account for k in ("port", "weather", "factory", "clinic")
        )
        self.advance(1)
        now = datetime.fromtimestamp(self.now(), tz=UTC)
        day = timedelta(days=1)
        licence = rights.grant_licence(
            self.ids["port"],
            LicenceTerms(
                licensee=weather.address,
                right=Right.PROCESSING_USE,
                purposes=[Purpose.INTERNAL_ANALYSIS, Purpose.PRODUCT_DEVELOPMENT],
                territories=[Territory.MAINLAND_CHINA],
                start=now,
                end=now + 365 * day,
                sublicensable=True,
                fee_terms="许可费每年人民币 80,000 元，按季度支付",
            ),
            port,
        )
        rights.grant_sublicence(
            licence.id,
            LicenceTerms(
                licensee=factory.address,
                right=Right.PROCESSING_USE,
                purposes=[Purpose.INTERNAL_ANALYSIS],
                territories=[Territory.MAINLAND_CHINA],
                start=now + day,
                end=now + 180 * day,
            ),
            weather,
        )
        rights.grant_licence(
            self.ids["index"],
            LicenceTerms(
                licensee=clinic.address,
                right=Right.PRODUCT_OPERATION,
                purposes=[Purpose.RESALE],
                territories=[Territory.MAINLAND_CHINA, Territory.HONG_KONG],
                start=now,
                end=now + 730 * day,
                exclusive=True,
                fee_terms="独家经营权许可费人民币 600,000 元，一次性支付",
            ),
            port,
        )
        self.advance(3)
        self._valuation(port)
        self.advance(1)
        rights.sign_and_register(
            PledgeTerms(
                token_id=self.ids["vessels"],
                pledgee=BANK.account.address,
                secured_amount=5_000_000_00,
                currency="CNY",
                loan_reference="粤海农商贷字（2026）第0815号",
                maturity=datetime.fromtimestamp(self.now(), tz=UTC) + 365 * day,
            ),
            port,
            BANK.account,
            ctx.operator,
        )
        self.advance(5)
        # a move fails closed without the recipient's country: the regulator records it
        rights.set_party_country(factory.address, "CN", REGULATOR.account)
        rights.transfer(
            self.ids["port"],
            factory.address,
            TransferReason.SALE,
            "数据资产转让协议（2026）第12号",
            port,
        )
        self.advance(10)
        rights.freeze(self.ids["port"], "（2026）粤0115民初3456号 财产保全", REGULATOR.account)

    def _valuation(self, holder: LocalAccount) -> None:
        """An accredited appraiser values the vessel-call data before the loan (income
        approach, its computation record as the report), gasless through the relay; the holder
        records it as an intangible asset."""
        ctx = self.ctx
        ctx.valuations.accredit(APPRAISER.account.address, APPRAISER.name, REGULATOR.account)
        today = (datetime.fromtimestamp(self.now(), tz=UTC) + CST).date()
        inputs = {
            "currency": "CNY",
            "cash_flows": ["2400000", "2600000", "2700000", "2750000", "2800000"],
            "discount_rate": "0.12",
            "contribution_share": "0.35",
            "horizon": 5,
            "decay_rate": "0.05",
        }
        submission = ValuationSubmission(
            method=ValuationMethod.INCOME,
            base_date=today,
            purpose=ValuationPurpose.PLEDGE_FINANCING,
            computation=Computation(method="income", inputs=inputs),
            report_uri="https://appraisal.example/reports/2026-0815.json",
        )
        call = ctx.valuations.submission_call(self.ids["vessels"], submission)
        ctx.relay.relay(call, APPRAISER.account, ctx.operator)
        accounting = ctx.valuations.accounting_call(self.ids["vessels"], "intangible_asset")
        ctx.relay.relay(accounting, holder, ctx.operator)

    def _record(self, objection: int) -> None:
        reg = self.ctx.registrations
        parties = {
            **REGISTRANTS,
            "objector": OBJECTOR,
            "bank": BANK,
            "regulator": REGULATOR,
            "appraiser": APPRAISER,
            "admin": ADMIN,
            "pauser": PAUSER,
        }
        for key, party in parties.items():
            self.out.registrants.append(
                {
                    "key": key,
                    **asdict(party),
                    "natural_person": party.natural_person,
                    "address": party.account.address,
                }
            )
        for key, reg_id in self.ids.items():
            r = reg.get(reg_id)
            self.out.registrations[key] = {
                "id": reg_id,
                "status": r.status.value,
                "registration_number": r.registration_number,
                "certificate_number": r.certificate_number,
                "version": r.version,
            }
        self.out.registrations["clinic"]["objection_id"] = objection
        self.out.datasets = [
            {
                "key": k,
                "path": str(p.relative_to(self.dir)),
                "fingerprint": self.fingerprints.get(k),
            }
            for k, p in self.paths.items()
        ]


def seed_demo(context: RegistryContext, directory: Path, seed: int = 2025) -> str | None:
    """Seed the sample once; returns a one-line summary, or ``None`` if it was seeded before."""
    manifest = directory / MANIFEST
    if manifest.exists():
        return None
    if context.manifest.chain_id not in DEV_CHAIN_IDS:
        raise ConfigurationError("--demo needs a development chain (anvil or Hardhat)")
    head = context.client.block()
    if head.timestamp > time.time() - (HISTORY_DAYS - 10) * DAY:
        raise ConfigurationError(
            "--demo seeds only a new registry (its history needs a chain clock that starts "
            f"{HISTORY_DAYS} days back); start it with an empty DAREG_VAR_DIR"
        )
    with recording_as(Channel.DEMO):  # the access log names the demo as the channel
        out = _Demo(context, directory, seed).run()
    # bring the chain clock back to the wall clock
    context.client.rpc(
        "evm_setNextBlockTimestamp", [max(int(time.time()), context.client.block().timestamp + 1)]
    )
    context.client.rpc("evm_mine")
    directory.mkdir(parents=True, exist_ok=True)
    manifest.write_text(
        json.dumps(asdict(out), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    states = sorted({r["status"] for r in out.registrations.values()})
    return (
        f"{len(out.registrants)} parties, {len(out.datasets)} datasets anchored, "
        f"{len(out.registrations)} registrations ({', '.join(states)}); see {manifest}"
    )


def history_start(now: float | None = None) -> int:
    """Genesis timestamp for a fresh demo chain."""
    return int((now if now is not None else time.time()) - HISTORY_DAYS * DAY)


__all__ = ["HISTORY_DAYS", "MANIFEST", "history_start", "seed_demo"]
