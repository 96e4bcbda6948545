"""The certificate as a PDF (数据资产登记证书): A4, Chinese with English subtitles.

Page 1 is the certificate proper (numbers, the standing as of a block, asset, holder,
registration, a QR code that leads to the public verification page); page 2 is the annex with
every other field (data particulars, fingerprint history and evidence, the blockchain record, the
digital signature and how to check it). The standing is the document's own
(:class:`~registry.certificates.standing.Standing`): a certificate that is frozen, pledged, under
objection, exclusively licensed or no longer in force is never shown as plainly valid. Every link
and the QR code are built on the registry's public base URL (``DAREG_PUBLIC_URL``). The rendered
bytes are then attached the credential and signed (:mod:`registry.certificates.pades`). Text is
set in Noto Sans SC
(SIL Open Font License 1.1, TrueType outlines) from the npm package
``@expo-google-fonts/noto-sans-sc``, which ``scripts/bootstrap`` installs; the glyphs used are
subset-embedded, so the PDF renders on a machine without any Chinese font.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, WrapMode, XPos, YPos

from registry.certificates import labels, urls
from registry.certificates.document import CertificateDocument
from registry.certificates.standing import (
    ENCUMBRANCE_LABELS,
    Encumbrance,
    Lifecycle,
    Standing,
)
from registry.domain.registration import public_holder
from registry.errors import ConfigurationError
from registry.settings import Settings

FONT_PACKAGE = "@expo-google-fonts/noto-sans-sc"
FONT_REGULAR = "400Regular/NotoSansSC_400Regular.ttf"
FONT_BOLD = "700Bold/NotoSansSC_700Bold.ttf"
FAMILY = "NotoSansSC"

RGB = tuple[int, int, int]
NAVY: RGB = (24, 52, 104)
GOLD: RGB = (176, 141, 62)
RED: RGB = (178, 34, 34)
INK: RGB = (33, 33, 33)
GREY: RGB = (110, 110, 110)
BAND: RGB = (235, 239, 246)
RULE: RGB = (205, 210, 220)
GREEN: RGB = (31, 122, 61)
AMBER: RGB = (191, 110, 16)
STONE: RGB = (120, 120, 120)
LIFECYCLE_COLOURS: dict[Lifecycle, RGB] = {
    Lifecycle.IN_FORCE: GREEN,
    Lifecycle.EXPIRED: AMBER,
    Lifecycle.CANCELLED: STONE,
    Lifecycle.REVOKED: RED,
}

#: What each encumbrance means for whoever relies on the certificate, in words.
ENCUMBRANCE_WORDS: dict[Encumbrance, labels.Label] = {
    Encumbrance.FROZEN: (
        "已被监管机构或法院冻结，冻结期间不得转让、质押或许可",
        "frozen by a regulator or a court: no transfer, pledge or licence while frozen",
    ),
    Encumbrance.PLEDGED: (
        "已设立质押，担保的贷款尚未清偿",
        "pledged as security for a loan not yet repaid",
    ),
    Encumbrance.UNDER_OBJECTION: (
        "存在尚未裁决的异议",
        "under an objection not yet ruled on",
    ),
    Encumbrance.EXCLUSIVELY_LICENSED: (
        "已独占许可他人使用",
        "exclusively licensed to another party",
    ),
}

PAGE_W, PAGE_H = 210.0, 297.0
LEFT = 17.0
WIDTH = PAGE_W - 2 * LEFT
LABEL_W = 44.0
VALUE_W = WIDTH - LABEL_W
BOTTOM = PAGE_H - 22.0
LINE = 4.6  # value line height, mm

#: The token URI row of an ended certificate, whose token is burned.
_BURNED = "— 证书已终止，通证已销毁 / the certificate has ended and its token is burned"


@dataclass(frozen=True)
class SignatureNote:
    """What the PDF says of its own signature, so a reader can compare: the signer, the SHA-256
    fingerprint of its certificate and where that certificate is published."""

    signer: str
    fingerprint: str
    certificate_url: str


def standing_colour(standing: Standing) -> RGB:
    """Green only when in force and unencumbered; red when frozen; amber when otherwise
    encumbered; the lifecycle's colour once it has ended."""
    if not standing.in_force:
        return LIFECYCLE_COLOURS[standing.lifecycle]
    if standing.frozen:
        return RED
    return AMBER if standing.encumbrances else GREEN


def as_of(standing: Standing) -> str:
    """``截至区块 N（2026-12-07 21:40:00 UTC） · as of block N, 2026-12-07 21:40:00 UTC``."""
    when = f"{standing.as_of_time.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
    return f"截至区块 {standing.as_of_block}（{when}） · as of block {standing.as_of_block}, {when}"


def encumbrances_in_words(standing: Standing) -> str:
    if not standing.encumbrances:
        return "无 None"
    return "\n".join(
        f"{ENCUMBRANCE_LABELS[e][0]}：{ENCUMBRANCE_WORDS[e][0]}\n"
        f"{ENCUMBRANCE_LABELS[e][1].capitalize()}: {ENCUMBRANCE_WORDS[e][1]}"
        for e in standing.encumbrances
    )


@dataclass(frozen=True)
class CertificateFonts:
    regular: Path
    bold: Path


def certificate_fonts(settings: Settings) -> CertificateFonts:
    """The font files, from the project's node_modules (installed by ``scripts/bootstrap``)."""
    return fonts_in(settings.node_modules_dir)


def fonts_in(node_modules_dir: Path) -> CertificateFonts:
    """The font files in ``node_modules_dir``; a :class:`ConfigurationError` naming the package
    (and ``DAREG_NODE_MODULES_DIR``) when they are missing."""
    root = node_modules_dir / FONT_PACKAGE
    fonts = CertificateFonts(regular=root / FONT_REGULAR, bold=root / FONT_BOLD)
    missing = [p for p in (fonts.regular, fonts.bold) if not p.is_file()]
    if missing:
        raise ConfigurationError(
            f"the certificate font is missing ({missing[0]}): install the npm package "
            f"{FONT_PACKAGE} with scripts/bootstrap (or `npm install`), or point "
            "DAREG_NODE_MODULES_DIR at a node_modules that has it"
        )
    return fonts


Row = tuple[labels.Label, str]


class _CertificatePDF(FPDF):
    def __init__(self, doc: CertificateDocument, fonts: CertificateFonts) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.doc = doc
        self.add_font(FAMILY, "", fonts.regular)
        self.add_font(FAMILY, "B", fonts.bold)
        self.set_auto_page_break(False)
        self.set_margins(LEFT, 16, LEFT)
        self.alias_nb_pages()
        self.set_lang("zh-CN")
        self.set_title(f"数据资产登记证书 {doc.certificate_number}")
        self.set_subject(f"Data Asset Registration Certificate {doc.certificate_number}")
        self.set_author(doc.registrar.name or f"registrar {doc.registrar.code}")
        self.set_creator("dareg")
        self.set_keywords(f"{doc.certificate_number} {doc.registration_number}")

    # --- page furniture -------------------------------------------------------------------

    def header(self) -> None:
        self.set_draw_color(*NAVY)
        self.set_line_width(0.9)
        self.rect(7, 7, PAGE_W - 14, PAGE_H - 14)
        self.set_draw_color(*GOLD)
        self.set_line_width(0.3)
        self.rect(9.2, 9.2, PAGE_W - 18.4, PAGE_H - 18.4)
        for x, y in (
            (9.2, 9.2),
            (PAGE_W - 9.2, 9.2),
            (9.2, PAGE_H - 9.2),
            (PAGE_W - 9.2, PAGE_H - 9.2),
        ):
            self.set_fill_color(*GOLD)
            self.star(x, y, 0.9, 2.2, 4, style="F")
        if self.page_no() > 1:
            self.set_xy(LEFT, 14)
            self._font(9, bold=True, colour=NAVY)
            self.cell(WIDTH / 2, 5, "数据资产登记证书 · 附页 Annex")
            self._font(8.5, colour=GREY)
            self.cell(
                WIDTH / 2,
                5,
                f"证书编号 Certificate No. {self.doc.certificate_number}",
                align=Align.R,
            )
            self.set_draw_color(*GOLD)
            self.line(LEFT, 20.5, LEFT + WIDTH, 20.5)
            self.set_y(24)

    def footer(self) -> None:
        self.set_xy(LEFT, PAGE_H - 19)
        self._font(6.5, colour=GREY)
        self.multi_cell(
            WIDTH - 22,
            3.2,
            "本证书依据区块链上的登记记录生成，证书状态以链上记录和核验页面为准。\n"
            "Generated from the registration record on the blockchain; the chain record and "
            "the verification page prevail.",
            align=Align.L,
        )
        self.set_xy(LEFT + WIDTH - 22, PAGE_H - 19)
        self.cell(22, 3.2, f"第 {self.page_no()} / {{nb}} 页", align=Align.R)
        self.set_xy(LEFT + WIDTH - 22, PAGE_H - 15.8)
        self.cell(22, 3.2, f"Page {self.page_no()} of {{nb}}", align=Align.R)

    # --- primitives -----------------------------------------------------------------------

    def _font(self, size: float, *, bold: bool = False, colour: RGB = INK) -> None:
        self.set_font(FAMILY, "B" if bold else "", size)
        self.set_text_color(*colour)

    def _value_height(self, text: str) -> float:
        self._font(9)
        height = self.multi_cell(
            VALUE_W - 2,
            LINE,
            text,
            dry_run=True,
            output=MethodReturnValue.HEIGHT,
            wrapmode=WrapMode.WORD,
        )
        assert isinstance(height, float | int)
        return float(height)

    def _ensure(self, height: float) -> None:
        if self.get_y() + height > BOTTOM:
            self.add_page()

    def section(self, label: labels.Label) -> None:
        self._ensure(7 + 8)
        y = self.get_y() + 1.5
        self.set_fill_color(*BAND)
        self.rect(LEFT, y, WIDTH, 6.2, style="F")
        self.set_fill_color(*NAVY)
        self.rect(LEFT, y, 1.2, 6.2, style="F")
        self.set_xy(LEFT + 3, y + 0.6)
        self._font(9.5, bold=True, colour=NAVY)
        self.cell(self.get_string_width(label[0]) + 2, 5, label[0])
        self._font(8, colour=NAVY)
        self.cell(0, 5, label[1].upper())
        self.set_y(y + 7.2)

    def row(self, label: labels.Label, value: str) -> None:
        value = value or "—"
        height = max(self._value_height(value), 6.6) + 1.4
        self._ensure(height)
        top = self.get_y()
        self.set_xy(LEFT + 1, top + 0.8)
        self._font(8.5, bold=True)
        self.cell(LABEL_W - 2, 4.0, label[0])
        self.set_xy(LEFT + 1, top + 4.5)
        self._font(6.5, colour=GREY)
        self.cell(LABEL_W - 2, 3.0, label[1])
        self.set_xy(LEFT + LABEL_W, top + 0.8)
        self._font(9)
        self.multi_cell(
            VALUE_W - 2, LINE, value, align=Align.L, wrapmode=WrapMode.WORD, new_x=XPos.LMARGIN
        )
        self.set_draw_color(*RULE)
        self.set_line_width(0.15)
        self.line(LEFT, top + height, LEFT + WIDTH, top + height)
        self.set_y(top + height)

    def rows(self, rows: list[Row]) -> None:
        for label, value in rows:
            self.row(label, value)

    def qr(self, url: str, x: float, y: float, size: float) -> None:
        """A vector QR code of ``url`` (quiet zone included) in a ``size`` mm square."""
        code = segno.make(url, error="m", micro=False)
        matrix = [list(r) for r in code.matrix]
        quiet = 4
        module = size / (len(matrix) + 2 * quiet)
        self.set_fill_color(255, 255, 255)
        self.rect(x, y, size, size, style="F")
        self.set_fill_color(0, 0, 0)
        for r, line in enumerate(matrix):
            c = 0
            while c < len(line):
                if line[c]:
                    start = c
                    while c < len(line) and line[c]:
                        c += 1
                    self.rect(
                        x + (quiet + start) * module,
                        y + (quiet + r) * module,
                        (c - start) * module,
                        module,
                        style="F",
                    )
                else:
                    c += 1

    def seal(self, cx: float, cy: float, name: str) -> None:
        """A round mark with the registrar's name (an electronic certificate's mark)."""
        self.set_draw_color(*RED)
        self.set_line_width(0.9)
        self.circle(cx, cy, 17)
        self.set_line_width(0.3)
        self.circle(cx, cy, 15.6)
        self.set_fill_color(*RED)
        self.star(cx, cy, 2.4, 6.0, 5, rotate_degrees=90, style="F")
        self._font(9, bold=True, colour=RED)
        chars = list(name[:18])
        span = min(240.0, 15.0 * len(chars))
        for i, char in enumerate(chars):
            angle = (90 + span / 2) - (span * (i + 0.5) / len(chars))
            rad = math.radians(angle)
            x = cx + 12.2 * math.cos(rad)
            y = cy - 12.2 * math.sin(rad)
            with self.rotation(angle - 90, x, y):
                w = self.get_string_width(char)
                self.text(x - w / 2, y + 1.3, char)
        self._font(6.5, bold=True, colour=RED)
        caption = "电子证书"
        self.text(cx - self.get_string_width(caption) / 2, cy + 10.5, caption)


def _join(parts: list[str], sep: str = "；") -> str:
    return sep.join(p for p in parts if p)


def _scale(doc: CertificateDocument) -> str:
    s = doc.metadata.scale
    parts = []
    if s.records is not None:
        parts.append(f"{s.records:,} 条记录 records")
    if s.bytes is not None:
        parts.append(f"{s.bytes:,} 字节 bytes")
    if s.files is not None:
        parts.append(f"{s.files:,} 个文件 files")
    if s.description:
        parts.append(s.description)
    return _join(parts, " · ")


def _date(moment: datetime | None) -> str:
    return labels.cst_date(moment) if moment else "—"


def _essentials(doc: CertificateDocument) -> list[tuple[labels.Label, list[Row]]]:
    m = doc.metadata
    holder = public_holder(doc.holder)  # a natural person's identifier masked (docs/privacy.md)
    registrar = doc.registrar.name or "—"
    return [
        (
            ("资产信息", "Data asset"),
            [
                (("资产名称", "Asset name"), doc.asset_name),
                (("资产类型", "Asset kind"), labels.both(labels.ASSET_KIND[doc.asset_kind])),
                (
                    ("登记权利", "Certified rights"),
                    "\n".join(labels.both(labels.RIGHT[r]) for r in doc.rights),
                ),
                (
                    ("数据分级", "Classification"),
                    labels.both(labels.CLASSIFICATION[doc.classification]) + " (GB/T 43697-2024)",
                ),
                (("行业类别", "Industry / category"), _join([m.industry, m.category or ""], " / ")),
                (("应用场景", "Application scenarios"), "、".join(m.application_scenarios)),
                (
                    ("数据指纹", "Fingerprint"),
                    f"{doc.fingerprint}\n第 {doc.version} 版 version {doc.version}",
                ),
            ],
        ),
        (
            ("持有人", "Holder"),
            [
                (("名称", "Name"), holder.name),
                (
                    ("证件号码", "Identifier"),
                    f"{holder.identifier}（{labels.both(labels.IDENTIFIER_TYPE[holder.identifier_type])}）",
                ),
                (("链上地址", "Chain address"), holder.address),
            ],
        ),
        (
            ("登记信息", "Registration"),
            [
                (("登记机构", "Registrar"), f"{registrar}（代码 code {doc.registrar.code}）"),
                (
                    ("公示期", "Public notice"),
                    f"{_date(doc.notice_period.start)} 至 to {_date(doc.notice_period.end)}",
                ),
                (("发证日期", "Issue date"), _date(doc.issued_at)),
                (("有效期至", "Valid until"), _date(doc.valid_until)),
                (
                    ("证书状态", "Standing"),
                    doc.standing.headline,
                ),
            ],
        ),
    ]


def _annex(
    doc: CertificateDocument, base_url: str, signature: SignatureNote | None
) -> list[tuple[labels.Label, list[Row]]]:
    m = doc.metadata
    source = m.data_source
    statements = m.special_statements
    asset_rows: list[Row] = [
        (("资产描述", "Description"), m.description),
        (("行政区划", "Region code"), m.region),
        (("主体类型", "Applicant type"), labels.both(labels.APPLICANT_TYPE[m.applicant_type])),
    ]
    if m.parents:
        asset_rows.append(
            (("来源资产", "Derived from"), "、".join(f"登记 registration #{p}" for p in m.parents))
        )
    data_rows: list[Row] = [
        (
            ("数据来源", "Data source"),
            _join([labels.both(labels.DATA_SOURCE[source.kind]), source.proof], "\n"),
        ),
    ]
    if source.proof_hash:
        data_rows.append((("来源证明哈希", "Proof of source hash"), source.proof_hash))
    data_rows += [
        (("数据结构", "Structure"), m.structure),
        (("数据规模", "Scale"), _scale(doc)),
        (("数据格式", "Format"), m.format),
        (
            ("更新频率", "Update frequency"),
            labels.both(labels.UPDATE_FREQUENCY[m.update_frequency]),
        ),
        (("存储位置", "Storage location"), m.storage_location),
        (("处理规则", "Processing rules"), m.processing_rules),
    ]
    if statements.personal_information:
        data_rows.append(
            (("个人信息声明", "Personal information"), statements.personal_information)
        )
    if statements.public_data:
        data_rows.append((("公共数据声明", "Public data"), statements.public_data))
    if doc.source_agreement_end is not None:
        data_rows.append(
            (("来源协议截止", "Source agreement end"), _date(doc.source_agreement_end))
        )

    anchor = doc.evidence
    evidence = (
        "未在本链存证 not anchored on this chain"
        if anchor is None
        else (
            f"链 chain {anchor.chain_id} · 区块 block {anchor.block_number} · "
            f"{labels.cst_time(anchor.anchored_at)}\n"
            f"合约 contract {anchor.contract}\n"
            + (f"交易 tx {anchor.tx_hash}\n" if anchor.tx_hash else "")
            + f"存证人 anchorer {anchor.anchorer}"
        )
    )
    history = "\n".join(f"第{v.version}版 v{v.version}  {v.fingerprint}" for v in doc.versions)
    standing = doc.standing
    return [
        (
            ("证书状态", "Standing"),
            [
                (
                    ("状态", "Standing"),
                    standing.headline,
                ),
                (("权利负担", "Encumbrances"), encumbrances_in_words(standing)),
                (("状态截至", "As of"), as_of(standing)),
            ],
        ),
        (("资产详情", "Asset particulars"), asset_rows),
        (("数据情况", "Data particulars"), data_rows),
        (
            ("存证与版本", "Fingerprint and evidence"),
            [
                (("版本历史", "Versions"), history),
                (("链上存证", "On-chain evidence"), evidence),
                (("元数据哈希", "Metadata SHA-256"), doc.metadata_hash),
            ],
        ),
        (
            ("区块链记录", "Blockchain record"),
            [
                (("链标识", "Chain id"), str(doc.chain.chain_id)),
                (("登记合约", "Registry contract"), doc.chain.contract),
                (("证书通证", "Token id (ERC-721)"), str(doc.chain.token_id)),
                (("元数据地址（链上）", "Token URI (on chain)"), doc.chain.token_uri or _BURNED),
                (("核验网址", "Verification URL"), doc.verification_url),
                (
                    ("登记元数据", "Registered metadata"),
                    urls.registered_metadata_url(base_url, doc.certificate_number),
                ),
            ],
        ),
        (
            ("电子签名与核验", "Digital signature and verification"),
            _signature_rows(doc, base_url, signature),
        ),
    ]


def _signature_rows(
    doc: CertificateDocument, base_url: str, signature: SignatureNote | None
) -> list[Row]:
    number = doc.certificate_number
    rows: list[Row] = []
    if signature is not None:
        rows += [
            (
                ("签名者", "Signed by"),
                f"{signature.signer}\n登记机构文件签名证书（PAdES）"
                "the registrar's document-signing certificate (PAdES)",
            ),
            (("证书指纹", "Certificate SHA-256"), signature.fingerprint),
            (("签名证书", "Signing certificate"), signature.certificate_url),
        ]
    rows += [
        (
            ("内嵌凭证", "Embedded credential"),
            "credential.json（application/vc，可验证凭证，登记机构账户 EIP-712 签名）\n"
            "the W3C Verifiable Credential signed by the registrar's account (EIP-712)\n"
            + urls.credential_url(base_url, number),
        ),
        (("核验方法", "How to verify"), urls.verify_guide_url(base_url)),
    ]
    return rows


def _standing_box(pdf: _CertificatePDF, standing: Standing, y: float) -> float:
    """The standing as of its block, in a box right of the numbers, coloured by severity:
    the bilingual headline (the same words as every other document: never a plain "valid" for
    an encumbered or ended certificate), then the block and time it is as of. Returns the box's
    bottom."""
    width = 74.0
    x = LEFT + WIDTH - width
    inner = width - 4
    lines = [(standing.headline_zh, 10.0, True), (standing.headline_en.upper(), 7.5, True)]
    when = f"{standing.as_of_time.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
    lines += [
        (f"截至区块 {standing.as_of_block} · as of block {standing.as_of_block}", 6.5, False),
        (when, 6.5, False),
    ]
    heights = []
    for text, size, bold in lines:
        pdf._font(size, bold=bold)
        height = pdf.multi_cell(
            inner, size * 0.45, text, dry_run=True, output=MethodReturnValue.HEIGHT
        )
        assert isinstance(height, float | int)
        heights.append(float(height))
    total = sum(heights) + 3
    pdf.set_fill_color(*standing_colour(standing))
    pdf.rect(x, y, width, total, style="F", round_corners=True, corner_radius=1.5)
    top = y + 1.5
    for (text, size, bold), height in zip(lines, heights, strict=True):
        pdf.set_xy(x + 2, top)
        pdf._font(size, bold=bold, colour=(255, 255, 255))
        pdf.multi_cell(inner, size * 0.45, text, align=Align.C)
        top += height
    return y + total


def _front(pdf: _CertificatePDF, doc: CertificateDocument) -> None:
    qr_size = 30.0
    qr_x, qr_y = LEFT + WIDTH - qr_size, 15.0
    pdf.qr(doc.verification_url, qr_x, qr_y, qr_size)
    pdf._font(6.5, colour=GREY)
    pdf.set_xy(qr_x - 4, qr_y + qr_size + 0.2)
    pdf.cell(qr_size + 8, 3, "扫码核验 Scan to verify", align=Align.C)

    if doc.registrar.name:
        pdf.set_xy(LEFT, 18)
        pdf._font(9, colour=NAVY)
        pdf.cell(WIDTH, 5, doc.registrar.name, align=Align.C)
    pdf.set_xy(LEFT, 24)
    pdf._font(25, bold=True, colour=RED)
    pdf.set_char_spacing(3)
    pdf.cell(WIDTH, 12, "数据资产登记证书", align=Align.C)
    pdf.set_char_spacing(0)
    pdf.set_xy(LEFT, 37)
    pdf._font(9.5, colour=NAVY)
    pdf.set_char_spacing(1.2)
    pdf.cell(WIDTH, 5, "DATA ASSET REGISTRATION CERTIFICATE", align=Align.C)
    pdf.set_char_spacing(0)

    pdf.set_xy(LEFT, 49)
    pdf._font(9, colour=GREY)
    pdf.cell(44, 6, "证书编号 Certificate No.")
    pdf._font(13, bold=True)
    pdf.cell(50, 6, doc.certificate_number)
    pdf.set_xy(LEFT, 56)
    pdf._font(9, colour=GREY)
    pdf.cell(44, 6, "登记编号 Registration No.")
    pdf._font(11, bold=True)
    pdf.cell(50, 6, doc.registration_number)
    rule = max(64.5, _standing_box(pdf, doc.standing, 48.5) + 1.5)

    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.4)
    pdf.line(LEFT, rule, LEFT + WIDTH, rule)
    pdf.set_xy(LEFT, rule + 2)
    pdf._font(9)
    pdf.multi_cell(
        WIDTH,
        4.6,
        "经审查和公示，下列数据资产已依法登记，特发此证。",
        align=Align.C,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf._font(7.5, colour=GREY)
    pdf.multi_cell(
        WIDTH,
        3.8,
        "Following review and public notice, the data asset below is registered and this "
        "certificate is issued.",
        align=Align.C,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_y(pdf.get_y() + 1)
    for label, rows in _essentials(doc):
        pdf.section(label)
        pdf.rows(rows)

    # the registrar's block at the foot of page 1
    pdf._ensure(40)
    top = max(pdf.get_y() + 6, BOTTOM - 40)
    name = doc.registrar.name or f"登记机构 {doc.registrar.code}"
    pdf.seal(LEFT + WIDTH - 30, top + 18, name)
    pdf.set_xy(LEFT + WIDTH - 106, top + 8)
    pdf._font(10, bold=True)
    pdf.cell(52, 5, name, align=Align.R)
    pdf.set_xy(LEFT + WIDTH - 106, top + 14)
    pdf._font(8.5, colour=GREY)
    pdf.cell(52, 5, "登记机构 Registrar", align=Align.R)
    pdf.set_xy(LEFT + WIDTH - 106, top + 22)
    pdf._font(9.5)
    pdf.cell(52, 5, _date(doc.issued_at), align=Align.R)
    pdf.set_xy(LEFT + WIDTH - 106, top + 28)
    pdf._font(8.5, colour=GREY)
    pdf.cell(52, 5, "发证日期 Date of issue", align=Align.R)
    pdf.set_xy(LEFT, top + 30)
    pdf._font(7, colour=GREY)
    pdf.multi_cell(
        70,
        3.4,
        "详细登记事项见附页。\nSee the annex for all registration particulars.",
        align=Align.L,
    )


def render_certificate_pdf(
    doc: CertificateDocument,
    fonts: CertificateFonts,
    *,
    base_url: str,
    signature: SignatureNote | None = None,
) -> bytes:
    """The certificate as PDF bytes, its links on ``base_url`` (the public base URL); with
    ``signature``, the annex names the signer and its certificate's fingerprint (the service
    signs the result, :func:`registry.certificates.pades.seal_pdf`)."""
    pdf = _CertificatePDF(doc, fonts)
    pdf.set_creation_date(doc.issued_at)
    pdf.add_page()
    _front(pdf, doc)
    pdf.add_page()
    for label, rows in _annex(doc, base_url, signature):
        pdf.section(label)
        pdf.rows(rows)
    return bytes(pdf.output())
