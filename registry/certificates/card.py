"""The certificate card (证书卡片): a small SVG image of a certificate, the ``image`` of its
ERC-721 wallet metadata (``registry.certificates.wallet``).

It shows what a wallet user needs at a glance: the title, the asset name, the certificate number,
the holder (the current one, ``doc.holder``), the registrar, the validity, and the as-of standing
(``doc.standing.headline``) in a colour saying how serious it is, with the block it is as of.

The card is safe to show anywhere: every text is XML-escaped (asset and holder names are user
input) after characters XML cannot carry are dropped; it has no script, no event attribute, no
link, no image and no reference to anything outside itself; fonts are generic families only
(``serif``, ``sans-serif``, ``monospace``), so a viewer never fetches one.
"""

from __future__ import annotations

import re
import unicodedata

from registry.certificates import labels
from registry.certificates.document import CertificateDocument

MEDIA_TYPE = "image/svg+xml"

WIDTH, HEIGHT = 640, 440
#: The width of a value column (x 210 to 620 at 13 px), in ems.
_VALUE_EMS = 31.0

#: XML 1.0 ``Char`` excludes most C0 controls, lone surrogates and U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


#: (fill, ink) of the standing badge by ``Standing.severity``: green only for a certificate in
#: force with nothing on it, amber when encumbered, red when ended or frozen.
COLOURS: dict[str, tuple[str, str]] = {
    "ok": ("#e7f4ea", "#1f7a3d"),
    "caution": ("#fdf1e1", "#a85d0a"),
    "bad": ("#fbe9e9", "#b22222"),
}


def xml_text(value: str) -> str:
    """``value`` as XML character data or attribute text: characters XML 1.0 cannot carry
    dropped, markup characters and both quotes escaped."""
    cleaned = _NOT_XML.sub("", value)
    return (
        cleaned.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
    )


def _width(text: str) -> float:
    """Approximate width of ``text`` in ems: wide (CJK) characters one em, others about half."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.56 for c in text)


def fit(text: str, ems: float, lines: int = 1) -> list[str]:
    """``text`` broken into at most ``lines`` lines of at most ``ems`` ems each (between words
    where one ends past the middle of the line), the last one ending in an ellipsis when the
    text does not fit."""
    out: list[str] = []
    rest = " ".join(text.split())
    while rest and len(out) < lines:
        taken, used = 0, 0.0
        for char in rest:
            step = _width(char)
            if used + step > ems:
                break
            taken, used = taken + 1, used + step
        if taken == len(rest):
            out.append(rest)
            rest = ""
        elif len(out) == lines - 1:
            cut = rest[:taken]
            while cut and _width(cut) + 1.0 > ems:
                cut = cut[:-1]
            out.append(cut.rstrip() + "…")
            rest = ""
        else:
            space = rest.rfind(" ", 0, taken + 1)
            if space > taken // 2:  # break between words when one ends far enough along
                taken = space
            out.append(rest[:taken].rstrip())
            rest = rest[taken:].lstrip()
    return out or [""]


def _text(x: float, y: float, body: str, *, size: float, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{xml_text(v)}"' for k, v in attrs.items())
    return f'<text x="{x:g}" y="{y:g}" font-size="{size:g}"{extra}>{xml_text(body)}</text>'


def render_card(doc: CertificateDocument) -> str:
    """The SVG card of ``doc`` (UTF-8 text, a standalone SVG 1.1 document)."""
    standing = doc.standing
    fill, ink = COLOURS[standing.severity]
    holder = doc.holder
    registrar = f"{doc.registrar.name or '—'}（{doc.registrar.code}）"
    rows = [
        ("证书编号 Certificate No.", [doc.certificate_number]),
        ("持有人 Holder", fit(holder.name, _VALUE_EMS, lines=2)),
        ("持有人地址 Holder address", [holder.address]),
        ("登记机构 Registrar", fit(registrar, _VALUE_EMS, lines=2)),
        ("有效期至 Valid until", [labels.cst_date(doc.valid_until)]),
    ]
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        'font-family="sans-serif">',
        f"<title>{xml_text(f'数据资产登记证书 {doc.certificate_number} {doc.asset_name}')}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#fffdf7"/>',
        f'<rect x="8" y="8" width="{WIDTH - 16}" height="{HEIGHT - 16}" fill="none" '
        'stroke="#b22222" stroke-width="3"/>',
        f'<rect x="14" y="14" width="{WIDTH - 28}" height="{HEIGHT - 28}" fill="none" '
        'stroke="#b08d3e" stroke-width="1"/>',
        _text(
            WIDTH / 2,
            52,
            "数据资产登记证书",
            size=28,
            text_anchor="middle",
            font_family="serif",
            font_weight="bold",
            fill="#b22222",
        ),
        _text(
            WIDTH / 2,
            72,
            "DATA ASSET REGISTRATION CERTIFICATE",
            size=11,
            text_anchor="middle",
            letter_spacing="2",
            fill="#183468",
        ),
    ]
    y = 108.0
    for line in fit(doc.asset_name, 30, lines=2):
        parts.append(
            _text(
                WIDTH / 2, y, line, size=19, text_anchor="middle", font_weight="bold", fill="#222"
            )
        )
        y += 24
    y = max(y, 150.0)
    for label, values in rows:
        parts.append(_text(40, y, label, size=11, fill="#666"))
        for i, value in enumerate(values):
            mono = {"font_family": "monospace"} if value.startswith("0x") or value.isdigit() else {}
            parts.append(_text(210, y + 17 * i, value, size=13, fill="#222", **mono))
        y += 26 + 17 * (len(values) - 1)
    y += 4
    parts.append(
        f'<rect x="40" y="{y:g}" width="{WIDTH - 80}" height="44" rx="6" fill="{fill}" '
        f'stroke="{ink}" stroke-width="1.5"/>'
    )
    parts.append(
        _text(
            WIDTH / 2,
            y + 28,
            fit(standing.headline, 40)[0],
            size=17,
            text_anchor="middle",
            font_weight="bold",
            fill=ink,
        )
    )
    parts.append(
        _text(
            WIDTH / 2,
            HEIGHT - 26,
            f"截至区块 {standing.as_of_block} · as of block {standing.as_of_block} · "
            f"{labels.iso_utc(standing.as_of_time)}",
            size=10,
            text_anchor="middle",
            fill="#777",
        )
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
