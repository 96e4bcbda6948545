"""Certificate documents over HTTP: JSON, Verifiable Credential, PDF, the SVG card, the wallet
metadata at ``tokenURI`` and the registered metadata beside it, and the public verification page
(``/verify/{number}``, the QR code's target)."""

from __future__ import annotations

from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from api.deps import Registry
from api.schemas.common import ErrorPublic
from registry.certificates import labels
from registry.certificates.card import MEDIA_TYPE as CARD_MEDIA_TYPE
from registry.certificates.document import CertificateDocument
from registry.certificates.vc import VC_MEDIA_TYPE
from registry.certificates.wallet import WalletMetadata
from registry.domain.registration import public_holder
from registry.errors import (
    CertificateNotFoundError,
    ChainUnreachableError,
    MalformedNumberError,
)
from registry.registration.service import METADATA_MEDIA_TYPE
from registry.verification.service import Verification

router = APIRouter(prefix="/certificates", tags=["certificates"])
metadata_router = APIRouter(prefix="/metadata", tags=["certificates"])
verify_router = APIRouter(tags=["verification"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorPublic} for code in (404, 409, 422, 503)
}
#: Wallets and viewers may keep the metadata and card a minute; the standing can change per block.
_CACHE = "public, max-age=60"
_NUMBER = "17-digit certificate number (spaces and hyphens ignored; the check digit is verified)"


@router.get("/{number}", response_model=CertificateDocument, responses=_ERRORS)
def get_certificate(number: str, registry: Registry) -> CertificateDocument:
    """The certificate with every field it shows, read from the chain and the stored metadata."""
    return registry.certificates.document(number)


class CredentialResponse(JSONResponse):
    """A Verifiable Credential as JSON, with the VC 2.0 media type."""

    media_type = VC_MEDIA_TYPE


@router.get(
    "/{number}/credential",
    response_class=Response,  # so the declared errors stay application/json
    responses={
        200: {
            "description": "W3C Verifiable Credential 2.0 (media type application/vc), "
            "EthereumEip712Signature2021 (docs/credential.md)",
            "content": {VC_MEDIA_TYPE: {"schema": {"type": "object"}}},
        },
        **_ERRORS,
    },
)
def get_credential(number: str, registry: Registry) -> CredentialResponse:
    """The certificate as a Verifiable Credential signed by the registrar's account
    (EthereumEip712Signature2021: Veramo's EIP-712 verifier and eth-sig-util check it).

    409 ``registrar_key_unavailable`` when this service holds no key of the certificate's
    registrar."""
    return CredentialResponse(registry.certificates.credential(number))


@router.get(
    "/{number}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **_ERRORS},
)
def get_pdf(number: str, registry: Registry) -> Response:
    """The certificate as a PDF (Chinese with English subtitles, QR code to /verify/{number})."""
    doc = registry.certificates.document(number)
    body = registry.certificates.pdf(doc)
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": (
                f'inline; filename="dareg-certificate-{doc.certificate_number}.pdf"'
            )
        },
    )


@router.get(
    "/{number}/card.svg",
    response_class=Response,
    responses={200: {"content": {CARD_MEDIA_TYPE: {}}}, **_ERRORS},
)
def get_card(number: str, registry: Registry) -> Response:
    """The certificate card, an SVG image (the wallet metadata's ``image``): title, asset name,
    number, holder, registrar, validity and the standing as of a block. Self-contained: no
    script, no external reference, generic font families."""
    return Response(
        registry.certificates.card(number),
        media_type=CARD_MEDIA_TYPE,
        headers={
            "Cache-Control": _CACHE,
            "Content-Security-Policy": "default-src 'none'",
            "X-Content-Type-Options": "nosniff",
        },
    )


@metadata_router.get(
    "/{number}",
    response_model=WalletMetadata,
    response_model_exclude_none=True,
    responses=_ERRORS,
)
def get_wallet_metadata(number: str, registry: Registry, response: Response) -> WalletMetadata:
    """The ``tokenURI`` target: ERC-721 metadata for wallets (name, description, image = the SVG
    card, external_url = the public verification page, attributes with the standing as of a
    block, the current holder), and where to fetch the registered metadata whose SHA-256 is on
    chain (``registered_metadata``). An ended certificate, whose token is burned, still answers
    with its ended standing."""
    response.headers["Cache-Control"] = _CACHE
    return registry.certificates.wallet_metadata(number)


@metadata_router.get(
    "/{number}/registered",
    response_class=Response,
    responses={200: {"content": {METADATA_MEDIA_TYPE: {}}}, **_ERRORS},
)
def get_registered_metadata(number: str, registry: Registry) -> Response:
    """The registered metadata document: the exact canonical bytes (RFC 8785) whose SHA-256 is
    the certificate's on-chain ``metadataHash`` (a natural person's identifier in it masked and
    committed, docs/privacy.md). It names the holder registered with that version, who may
    since have transferred the certificate: the current holder is in the other documents."""
    service = registry.registrations
    body = service.public_metadata_document(service.by_certificate_number(number))
    return Response(body, media_type=METADATA_MEDIA_TYPE)


# --- the public verification page ---------------------------------------------------------


@verify_router.get("/verify", response_class=HTMLResponse, include_in_schema=False)
def verify_form(
    number: Annotated[str | None, Query(description=_NUMBER)] = None,
) -> Response:
    if number and number.strip():
        digits = "".join(c for c in number if c.isalnum())
        return RedirectResponse(f"/verify/{digits}", status_code=303)
    return HTMLResponse(_page("核验证书 Verify a certificate", _FORM))


@verify_router.get(
    "/verify/{number}",
    response_class=HTMLResponse,
    responses={
        404: {"description": "no such certificate", "content": {"text/html": {}}},
        422: {"description": "mistyped", "content": {"text/html": {}}},
        503: {"description": "the chain cannot be reached now", "content": {"text/html": {}}},
    },
)
def verify_page(number: str, registry: Registry) -> HTMLResponse:
    """Public verification page (HTML, Chinese and English) for a certificate number or QR code."""
    try:
        page = registry.certificates.verify_page(number)
    except MalformedNumberError as exc:
        body = (
            '<section class="banner bad"><h2>证书编号有误 · Mistyped number</h2>'
            f"<p>“{escape(number)}” 不是有效的证书编号：位数或校验位不符，请核对后重新输入。</p>"
            f"<p>This is not a valid certificate number: {escape(exc.message)}.</p></section>"
            + _FORM
        )
        return HTMLResponse(_page("证书编号有误 Mistyped number", body), status_code=422)
    except CertificateNotFoundError:
        body = (
            '<section class="banner bad"><h2>未找到该证书 · No such certificate</h2>'
            f"<p>本登记系统的区块链上没有编号为 {escape(number)} 的证书。"
            "该证书可能并非本系统签发，请谨慎对待。</p>"
            f"<p>No certificate {escape(number)} is recorded on this registry's chain: "
            "it was not issued here. Treat it with caution.</p></section>" + _FORM
        )
        return HTMLResponse(_page("未找到证书 Certificate not found", body), status_code=404)
    except ChainUnreachableError:
        body = (
            '<section class="banner bad"><h2>暂时无法核验 · Cannot verify right now</h2>'
            "<p>登记系统暂时无法读取区块链，请稍后再试。</p>"
            "<p>The registry cannot read its chain right now; please try again later.</p>"
            "</section>" + _FORM
        )
        return HTMLResponse(
            _page("暂时无法核验 Cannot verify right now", body),
            status_code=503,
            headers={"Retry-After": "30"},
        )
    doc, answer = page.document, page.verification
    return HTMLResponse(
        _page(f"证书核验 {doc.certificate_number}", _verified(doc) + _encumbrances(answer))
    )


_EXCLUSIVE = {True: "独占 exclusive", False: "非独占 non-exclusive"}


def _encumbrances(answer: Verification) -> str:
    """Pledges, licences, freeze and the lending verdict: the financier's answer, for people."""
    rows: list[tuple[str, str, str]] = [
        ("冻结", "Freeze", "已冻结 Frozen" if answer.freeze else "无 None"),
        (
            "质押",
            "Pledges",
            "；".join(
                f"质押 {p.id}：质权人 {p.pledgee}，到期 {labels.cst_date(p.maturity)} "
                f"· pledge {p.id} to {p.pledgee}, matures {p.maturity:%Y-%m-%d}"
                for p in answer.pledges
            )
            or "无 None",
        ),
        (
            "有效许可",
            "Live licences",
            "；".join(
                f"{lic.voucher_number}（{_EXCLUSIVE[lic.exclusive]}）" for lic in answer.licences
            )
            or "无 None",
        ),
        (
            "融资结论",
            "Lending verdict",
            (
                "可作为融资质押物 Lendable"
                if answer.verdict.lendable
                else "暂不宜质押融资 Not lendable"
            )
            + "".join(f"；{b}" for b in answer.verdict.blockers),
        ),
    ]
    table = "".join(
        f"<tr><th>{escape(a)}<small>{escape(b)}</small></th><td>{escape(c)}</td></tr>"
        for a, b, c in rows
    )
    return (
        f"<h2>权利负担与融资核验 · Encumbrances and lending check</h2>"
        f"<p>截至区块 {answer.as_of_block} · as of block {answer.as_of_block}</p>"
        f"<table>{table}</table>"
    )


_TONES = {"ok": "good", "caution": "warn", "bad": "bad"}


def _verified(doc: CertificateDocument) -> str:
    standing = doc.standing
    tone = _TONES[standing.severity]
    when = f"{standing.as_of_time:%Y-%m-%d %H:%M:%S} UTC"
    status = labels.STATUS[doc.status]
    holder = public_holder(doc.holder)  # a natural person's identifier masked
    rows: list[tuple[str, str, str]] = [
        ("证书编号", "Certificate No.", doc.certificate_number),
        ("登记编号", "Registration No.", doc.registration_number),
        ("证书状态", "Status", labels.both(status)),
        ("权利状态", "Standing", doc.standing.headline),
        ("资产名称", "Asset name", doc.asset_name),
        ("资产类型", "Asset kind", labels.both(labels.ASSET_KIND[doc.asset_kind])),
        ("登记权利", "Rights", "；".join(labels.both(labels.RIGHT[r]) for r in doc.rights)),
        ("数据分级", "Classification", labels.both(labels.CLASSIFICATION[doc.classification])),
        ("持有人", "Holder", holder.name),
        (
            "证件号码",
            "Identifier",
            f"{holder.identifier}（{labels.both(labels.IDENTIFIER_TYPE[holder.identifier_type])}）",
        ),
        ("持有人地址", "Holder address", holder.address),
        ("登记机构", "Registrar", f"{doc.registrar.name or '—'}（代码 code {doc.registrar.code}）"),
        ("发证日期", "Issued", labels.cst_date(doc.issued_at)),
        ("有效期至", "Valid until", labels.cst_date(doc.valid_until)),
        (
            "数据指纹",
            "Fingerprint",
            f"{doc.fingerprint}（第 {doc.version} 版 version {doc.version}）",
        ),
        ("元数据哈希", "Metadata SHA-256", doc.metadata_hash),
        (
            "区块链记录",
            "On chain",
            f"chain {doc.chain.chain_id} · contract {doc.chain.contract} · "
            f"token {doc.chain.token_id}",
        ),
    ]
    table = "".join(
        f"<tr><th>{escape(a)}<small>{escape(b)}</small></th><td>{escape(c)}</td></tr>"
        for a, b, c in rows
    )
    base = f"/api/v1/certificates/{doc.certificate_number}"
    return (
        f'<section class="banner {tone}"><h2>证书真实 · {escape(standing.headline_zh)} · '
        f"Genuine · {escape(standing.headline_en)}</h2>"
        "<p>该证书记录在本登记系统的区块链上，登记信息与链上哈希一致。"
        f"截至区块 {standing.as_of_block}（{when}）：{escape(standing.headline_zh)}。</p>"
        "<p>This certificate is recorded on this registry's blockchain and its registered "
        f"particulars match the on-chain hash. As of block {standing.as_of_block} ({when}): "
        f"{escape(standing.headline_en)}.</p>"
        "</section>"
        f"<table>{table}</table>"
        f'<p class="links"><a href="{base}/pdf">证书 PDF</a> · <a href="{base}">JSON</a> · '
        f'<a href="{base}/credential">可验证凭证 Verifiable Credential</a> · '
        f'<a href="/api/v1/metadata/{doc.certificate_number}/registered">'
        "登记元数据 registered metadata</a> · "
        f'<a href="{base}/card.svg">证书卡片 card</a></p>'
    )


_FORM = """<form action="/verify" method="get">
<label for="number">证书编号 Certificate No.</label>
<input id="number" name="number" inputmode="numeric" size="24" placeholder="17 位数字 17 digits">
<button type="submit">核验 Verify</button>
</form>"""

_STYLE = """
body{font-family:"Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif;max-width:52rem;
margin:2rem auto;padding:0 1rem;color:#222;line-height:1.5}
h1{color:#b22222;font-size:1.6rem;margin-bottom:.2rem}
h1 small{display:block;color:#183468;font-size:.85rem;letter-spacing:.08em}
.banner{border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
.banner h2{margin:.2rem 0;font-size:1.25rem}
.good{background:#e7f4ea;border:1px solid #1f7a3d}.good h2{color:#1f7a3d}
.warn{background:#fdf1e1;border:1px solid #bf6e10}.warn h2{color:#bf6e10}
.bad{background:#fbe9e9;border:1px solid #b22222}.bad h2{color:#b22222}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #dde;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{width:11rem;white-space:nowrap}th small{display:block;color:#777;font-weight:normal}
td{word-break:break-all}.links{margin-top:1rem}form{margin-top:1.5rem}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        "<h1>数据资产登记证书核验<small>DATA ASSET CERTIFICATE VERIFICATION</small></h1>"
        f"{body}</body></html>"
    )
