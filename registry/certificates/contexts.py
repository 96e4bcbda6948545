"""The JSON-LD contexts a credential names, as the app serves them.

A credential's ``@context`` lists URLs (:data:`~registry.certificates.urls.CONTEXT_PATHS`):
the W3C Verifiable Credentials 2.0 context, read from the npm package
``@digitalcredentials/credentials-v2-context`` in ``DAREG_NODE_MODULES_DIR`` (as the PDF's
fonts are; not copied into this repository), and dareg's own context, shipped here
(``contexts/dareg-v1.jsonld``), which defines every term of the certificate and status list
credentials the W3C context does not. The app serves each at its path, so an outsider's JSON-LD
processor can be given a document loader that maps the URLs to those files and never fetches a
context from the network (docs/credential.md).
"""

from __future__ import annotations

from pathlib import Path

from registry.certificates.urls import CONTEXT_PATHS, DAREG_CREDENTIALS_V1, W3C_CREDENTIALS_V2
from registry.errors import ConfigurationError

JSONLD_MEDIA_TYPE = "application/ld+json"
W3C_CONTEXT_PACKAGE = "@digitalcredentials/credentials-v2-context"
W3C_CONTEXT_FILE = "contexts/credentials-v2.jsonld"
DAREG_CONTEXT_FILE = Path(__file__).with_name("contexts") / "dareg-v1.jsonld"


def context_file(url: str, node_modules_dir: Path) -> Path:
    """The file holding the context named ``url`` (a :class:`KeyError` for another URL)."""
    if url == W3C_CREDENTIALS_V2:
        return node_modules_dir / W3C_CONTEXT_PACKAGE / W3C_CONTEXT_FILE
    if url == DAREG_CREDENTIALS_V1:
        return DAREG_CONTEXT_FILE
    raise KeyError(url)


def context_bytes(url: str, node_modules_dir: Path) -> bytes:
    """The context named ``url``, byte for byte as served; a :class:`ConfigurationError`
    naming the npm package when the W3C context is not installed."""
    path = context_file(url, node_modules_dir)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigurationError(
            f"the JSON-LD context {url} is missing ({path}): install the npm package "
            f"{W3C_CONTEXT_PACKAGE} with scripts/bootstrap (or `npm install`), or point "
            "DAREG_NODE_MODULES_DIR at a node_modules that has it"
        ) from None


def context_index() -> dict[str, str]:
    """Context URL -> the path the app serves it at (a document loader's map)."""
    return dict(CONTEXT_PATHS)
