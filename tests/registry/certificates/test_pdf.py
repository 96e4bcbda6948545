"""The PDF certificate: Chinese text in an embedded font, every field, a QR code that decodes."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from registry.certificates.document import CertificateDocument
from registry.certificates.pdf import certificate_fonts
from registry.chain.client import ChainClient, dev_account
from registry.context import RegistryContext
from registry.errors import ConfigurationError
from registry.settings import Settings
from tests.registry.registration.conftest import registrar, travel


def _pdf(ctx: RegistryContext, doc: CertificateDocument) -> bytes:
    return ctx.certificates.pdf(doc)


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def _fonts(pdf: bytes) -> list[dict[str, Any]]:
    """Every font dictionary used on any page, with its descendant's descriptor."""
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources = page["/Resources"].get_object()
        for font in resources["/Font"].get_object().values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants.get_object()[0].get_object() if descendants else font
            found.append(
                {
                    "base": str(font["/BaseFont"]),
                    "subtype": str(font["/Subtype"]),
                    "descriptor": target["/FontDescriptor"].get_object(),
                    "to_unicode": "/ToUnicode" in font,
                }
            )
    return found


def test_pdf_has_the_fields_in_chinese_and_an_embedded_font(
    signing_ctx: RegistryContext, certificate: str
) -> None:
    ctx = signing_ctx
    doc = ctx.certificates.document(certificate)
    pdf = _pdf(ctx, doc)
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 3  # the certificate, the annex and its signature section
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4 in points

    text = _text(pdf)
    assert doc.chain.token_uri is not None  # a certificate in force has its token
    for value in (
        "数据资产登记证书",
        "DATAASSETREGISTRATIONCERTIFICATE",
        doc.asset_name.replace(" ", ""),
        certificate,
        doc.registration_number,
        doc.holder.name,
        doc.holder.identifier,
        doc.holder.address,
        "广东省数据资产登记中心",
        doc.fingerprint,
        doc.metadata_hash,
        "数据资源持有权",
        "数据加工使用权",
        "一般数据",
        "有效Inforce",
        doc.metadata.processing_rules,
        doc.metadata.storage_location,
        "与广州港集团签订的数据授权协议（2024-0815号）",
        doc.chain.contract,
        doc.verification_url,
        doc.chain.token_uri,
    ):
        assert value in text, value

    fonts = _fonts(pdf)
    assert fonts
    for font in fonts:
        assert "/FontFile2" in font["descriptor"] or "/FontFile3" in font["descriptor"], font
        assert re.match(r"^/[A-Z]{6}\+", font["base"]), font  # a subset
        assert font["to_unicode"], font
    assert {f["base"].split("+")[1] for f in fonts} == {"NotoSansSC", "NotoSansSCBold"}
    assert len(pdf) < 300_000  # subset, not the 10 MB font


def test_qr_code_decodes_to_the_verification_url(
    signing_ctx: RegistryContext, certificate: str
) -> None:
    ctx = signing_ctx
    doc = ctx.certificates.document(certificate)
    pdf = pypdfium2.PdfDocument(_pdf(ctx, doc))
    image = pdf[0].render(scale=3).to_pil()
    codes = zxingcpp.read_barcodes(image)
    assert [c.text for c in codes] == [doc.verification_url]
    assert codes[0].format == zxingcpp.BarcodeFormat.QRCode


def test_status_and_long_text(
    signing_ctx: RegistryContext, chain: ChainClient, certificate: str
) -> None:
    ctx = signing_ctx
    reg = ctx.registrations.by_certificate_number(certificate)
    ctx.registrations.cancel(reg.id, "持有人申请注销", dev_account(1))
    cancelled = ctx.certificates.document(certificate)
    assert cancelled.chain.token_uri is None  # v2: an ended certificate's token is burned
    text = _text(_pdf(ctx, cancelled))
    assert "已注销Cancelled" in text
    assert "通证已销毁" in text

    long = "港口集装箱吞吐量按日统计，" * 300 + "结束标记"
    doc = cancelled.model_copy(
        update={"metadata": cancelled.metadata.model_copy(update={"description": long})}
    )
    pdf = _pdf(ctx, doc)
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 4  # the annex flows on
    assert "结束标记" in _text(pdf)


def test_missing_font_is_a_clear_configuration_error(tmp_path: Path) -> None:
    settings = Settings(node_modules_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="scripts/bootstrap"):
        certificate_fonts(settings)


def _squashed_text(pdf: bytes) -> str:
    """The text PDFium extracts (another reader than pypdf), without white space."""
    document = pypdfium2.PdfDocument(pdf)
    return "".join("".join(page.get_textpage().get_text_range() for page in document).split())


@pytest.mark.parametrize("ending", ["revoked", "expired"])
def test_an_ended_certificate_states_its_standing_as_of_its_block(
    signing_ctx: RegistryContext, chain: ChainClient, certificate: str, ending: str
) -> None:
    ctx = signing_ctx
    reg = ctx.registrations.by_certificate_number(certificate)
    if ending == "revoked":
        ctx.registrations.revoke(reg.id, 2, "复核发现数据来源授权已失效", registrar())
        words = ["已撤销", "Revoked"]
    else:
        travel(chain, 4 * 365 * 86_400)  # past the three years of validity
        words = ["已过期", "Expired"]
    doc = ctx.certificates.document(certificate)
    assert doc.standing.lifecycle.value == ending
    text = _squashed_text(_pdf(ctx, doc))
    for word in words:
        assert word in text
    assert "".join(doc.standing.headline.split()) in text
    assert f"截至区块{doc.standing.as_of_block}" in text
    assert f"asofblock{doc.standing.as_of_block}" in text
    assert "VALID" not in text
    assert "有效" not in text.replace("有效期至", "")  # "valid until" is the only 有效 left
