"""Where the JSON-LD contexts come from: the dareg context shipped here, the W3C one from its npm
package (a missing package is named, as the PDF's fonts are)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.certificates.contexts import (
    DAREG_CONTEXT_FILE,
    W3C_CONTEXT_PACKAGE,
    context_bytes,
    context_index,
)
from registry.certificates.urls import DAREG_CREDENTIALS_V1, W3C_CREDENTIALS_V2
from registry.errors import ConfigurationError
from registry.settings import Settings


def test_the_contexts_and_their_index() -> None:
    node_modules = Settings().node_modules_dir
    assert set(context_index()) == {W3C_CREDENTIALS_V2, DAREG_CREDENTIALS_V1}
    w3c = json.loads(context_bytes(W3C_CREDENTIALS_V2, node_modules))
    assert w3c["@context"]["@protected"] is True
    dareg = json.loads(context_bytes(DAREG_CREDENTIALS_V1, node_modules))
    assert dareg == json.loads(DAREG_CONTEXT_FILE.read_text(encoding="utf-8"))
    with pytest.raises(KeyError):
        context_bytes("https://example.org/other", node_modules)


def test_the_dareg_context_never_redefines_a_w3c_term() -> None:
    w3c = json.loads(context_bytes(W3C_CREDENTIALS_V2, Settings().node_modules_dir))["@context"]
    protected = set(w3c)
    # the protected type-scoped contexts applied where the dareg context is active: the
    # credential's and the status entries' and lists' (a presentation's applies outside it)
    for scoped in ("VerifiableCredential", "BitstringStatusListEntry", "BitstringStatusList"):
        protected |= set(w3c[scoped]["@context"])
    dareg = json.loads(DAREG_CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
    assert dareg["@protected"] is True
    assert dareg["@version"] == 1.1
    redefined = {t for t in protected & set(dareg) if not t.startswith("@")} - {"id", "type"}
    assert not redefined
    assert dareg["id"] == w3c["id"]
    assert dareg["type"] == w3c["type"]


def test_a_missing_w3c_context_package_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=W3C_CONTEXT_PACKAGE) as info:
        context_bytes(W3C_CREDENTIALS_V2, tmp_path)
    assert "DAREG_NODE_MODULES_DIR" in str(info.value)
    assert json.loads(context_bytes(DAREG_CREDENTIALS_V1, tmp_path))  # shipped with the code
