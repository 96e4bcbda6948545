"""The SVG certificate card: well-formed XML, every text escaped, nothing active or external,
the standing's colour by its severity."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from registry.certificates.card import COLOURS, fit, render_card, xml_text
from registry.certificates.document import CertificateDocument
from registry.certificates.standing import Encumbrance, Lifecycle, Standing
from registry.context import RegistryContext

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert('x')</script> & \"quoted\" ]]> <img src=x onerror=alert(1)>"
GENERIC_FONTS = {"serif", "sans-serif", "monospace"}


def _texts(root: ET.Element) -> list[str]:
    return ["".join(e.itertext()) for e in root.iter() if e.tag in (f"{SVG}text", f"{SVG}title")]


def check_safe_svg(svg: str) -> ET.Element:
    """``svg`` parses as XML into an SVG with no script, event attribute, link, image, style,
    foreign content, entity or external reference, and only generic font families; its root."""
    assert "<!DOCTYPE" not in svg
    assert "<!ENTITY" not in svg
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag == f"{SVG}svg"
    allowed = {f"{SVG}{t}" for t in ("svg", "title", "rect", "text")}
    for element in root.iter():
        assert element.tag in allowed, element.tag
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), name
            assert "href" not in name.lower(), name
            assert "url(" not in value, value
            assert "javascript:" not in value.lower(), value
            if name == "font-family":
                assert value in GENERIC_FONTS, value
    assert "<script" not in svg.lower()
    return root


@pytest.fixture
def doc(ctx: RegistryContext, certificate: str) -> CertificateDocument:
    return ctx.certificates.document(certificate)


def test_the_card_shows_the_certificate(doc: CertificateDocument) -> None:
    root = check_safe_svg(render_card(doc))
    text = "\n".join(_texts(root))
    for shown in (
        "数据资产登记证书",
        "DATA ASSET REGISTRATION CERTIFICATE",
        doc.asset_name,
        doc.certificate_number,
        doc.holder.name,
        doc.holder.address,
        "广东省数据资产登记中心",
        doc.standing.headline,
        f"as of block {doc.standing.as_of_block}",
    ):
        assert shown in text, shown
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", text)  # valid until


def test_hostile_names_stay_text(doc: CertificateDocument) -> None:
    holder = doc.holder.model_copy(update={"name": HOSTILE[:60]})
    hostile = doc.model_copy(update={"asset_name": HOSTILE, "holder": holder})
    svg = render_card(hostile)
    root = check_safe_svg(svg)
    text = "\n".join(_texts(root))
    assert HOSTILE in text  # in the title, whole, as characters
    assert HOSTILE[:60] in text
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_characters_xml_cannot_carry_are_dropped() -> None:
    assert xml_text("a\x00b\x1bc\ufffe&<>\"'") == "abc&amp;&lt;&gt;&quot;&apos;"
    bell = "x\x07y"
    assert ET.fromstring(f"<t>{xml_text(bell)}</t>").text == "xy"


def test_fit_breaks_and_ellipsises() -> None:
    assert fit("short", 10) == ["short"]
    lines = fit("数据" * 40, 10, lines=2)
    assert len(lines) == 2
    assert lines[1].endswith("…")
    assert all(len(line) <= 10 for line in lines)
    assert fit("", 10) == [""]


def _standing(lifecycle: Lifecycle, *encumbrances: Encumbrance) -> Standing:
    return Standing(
        lifecycle=lifecycle,
        encumbrances=list(encumbrances),
        as_of_block=7,
        as_of_time=datetime(2026, 1, 2, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("standing", "severity"),
    [
        (_standing(Lifecycle.IN_FORCE), "ok"),
        (_standing(Lifecycle.IN_FORCE, Encumbrance.PLEDGED), "caution"),
        (_standing(Lifecycle.IN_FORCE, Encumbrance.UNDER_OBJECTION), "caution"),
        (_standing(Lifecycle.IN_FORCE, Encumbrance.FROZEN, Encumbrance.PLEDGED), "bad"),
        (_standing(Lifecycle.EXPIRED), "bad"),
        (_standing(Lifecycle.REVOKED), "bad"),
    ],
)
def test_the_standing_is_coloured_by_severity(
    doc: CertificateDocument, standing: Standing, severity: str
) -> None:
    root = check_safe_svg(render_card(doc.model_copy(update={"standing": standing})))
    _, ink = COLOURS[severity]
    headline = next(
        e for e in root.iter(f"{SVG}text") if "".join(e.itertext()) == standing.headline
    )
    assert headline.get("fill") == ink
    badge = next(e for e in root.iter(f"{SVG}rect") if e.get("rx"))
    assert badge.get("stroke") == ink
    assert "as of block 7" in "\n".join(_texts(root))
