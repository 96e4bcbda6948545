"""Bilingual (Chinese, English) labels of the values a certificate shows, and date formats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from registry.domain.registration import (
    ApplicantType,
    AssetKind,
    Classification,
    DataSource,
    Right,
    Status,
    UpdateFrequency,
)

#: (Chinese, English)
Label = tuple[str, str]

STATUS: dict[Status, Label] = {
    Status.NONE: ("无", "none"),
    Status.SUBMITTED: ("已提交", "Submitted"),
    Status.ACCEPTED: ("已受理", "Accepted"),
    Status.RETURNED: ("退回补正", "Returned for correction"),
    Status.REJECTED: ("不予登记", "Rejected"),
    Status.IN_NOTICE: ("公示中", "In public notice"),
    Status.ISSUED: ("有效", "Valid"),
    Status.CANCELLED: ("已注销", "Cancelled"),
    Status.REVOKED: ("已撤销", "Revoked"),
    Status.EXPIRED: ("已过期", "Expired"),
}

ASSET_KIND: dict[AssetKind, Label] = {
    AssetKind.RESOURCE: ("数据资源", "Data resource"),
    AssetKind.PRODUCT: ("数据产品", "Data product"),
}

RIGHT: dict[Right, Label] = {
    Right.HOLDING: ("数据资源持有权", "Data resource holding right"),
    Right.PROCESSING_USE: ("数据加工使用权", "Data processing and use right"),
    Right.PRODUCT_OPERATION: ("数据产品经营权", "Data product operation right"),
}

CLASSIFICATION: dict[Classification, Label] = {
    Classification.GENERAL: ("一般数据", "General data"),
    Classification.IMPORTANT: ("重要数据", "Important data"),
    Classification.CORE: ("核心数据", "Core data"),
}

DATA_SOURCE: dict[DataSource, Label] = {
    DataSource.SELF_COLLECTED: ("自行采集", "Self-collected"),
    DataSource.LICENSED: ("授权许可", "Licensed"),
    DataSource.PURCHASED: ("购买取得", "Purchased"),
    DataSource.PUBLIC: ("公共数据", "Public data"),
}

APPLICANT_TYPE: dict[ApplicantType, Label] = {
    ApplicantType.ENTERPRISE: ("企业", "Enterprise"),
    ApplicantType.PUBLIC_INSTITUTION: ("机关事业单位", "Public institution"),
    ApplicantType.INDIVIDUAL_BUSINESS: ("个体工商户", "Individual business"),
    ApplicantType.NATURAL_PERSON: ("自然人", "Natural person"),
    ApplicantType.OTHER: ("其他", "Other"),
}

UPDATE_FREQUENCY: dict[UpdateFrequency, Label] = {
    UpdateFrequency.REAL_TIME: ("实时", "Real time"),
    UpdateFrequency.DAILY: ("每日", "Daily"),
    UpdateFrequency.WEEKLY: ("每周", "Weekly"),
    UpdateFrequency.MONTHLY: ("每月", "Monthly"),
    UpdateFrequency.QUARTERLY: ("每季度", "Quarterly"),
    UpdateFrequency.YEARLY: ("每年", "Yearly"),
    UpdateFrequency.IRREGULAR: ("不定期", "Irregular"),
    UpdateFrequency.STATIC: ("不更新", "Static"),
}

IDENTIFIER_TYPE: dict[str, Label] = {
    "uscc": ("统一社会信用代码", "Unified social credit code"),
    "id_card": ("居民身份证", "Resident ID card"),
    "passport": ("护照", "Passport"),
    "other": ("其他证件", "Other identifier"),
}

CST = timedelta(hours=8)


def both(label: Label) -> str:
    """``中文 English``."""
    return f"{label[0]} {label[1]}"


def cst_date(moment: datetime) -> str:
    """The calendar day of ``moment`` in China Standard Time, as ``2025年11月22日 (2025-11-22)``."""
    day = moment.astimezone(UTC) + CST
    return f"{day.year}年{day.month}月{day.day}日 ({day:%Y-%m-%d})"


def cst_time(moment: datetime) -> str:
    """``moment`` in China Standard Time, to the second, e.g. ``2025-11-22 09:30:00 (UTC+8)``."""
    return f"{moment.astimezone(UTC) + CST:%Y-%m-%d %H:%M:%S} (UTC+8)"


def iso_utc(moment: datetime) -> str:
    """XML Schema ``dateTimeStamp`` in UTC, seconds precision: ``2025-11-22T01:30:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
