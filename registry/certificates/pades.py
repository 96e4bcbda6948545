"""The PDF made to vouch for itself: the signed credential attached, then a PAdES signature.

:func:`seal_pdf` takes the rendered certificate (fpdf2's bytes) and, in one incremental update
that the signature covers:

1. attaches the credential as ``credential.json`` (media type ``application/vc``, relationship
   ``/Data``: it is the certificate's data in machine form), listed in the document's
   ``/EmbeddedFiles`` name tree and its ``/AF`` associated files (PDF 2.0, as PDF/A-3 does);
2. signs the whole file with the registrar's document-signing key, PAdES baseline B-B
   (``/SubFilter /ETSI.CAdES.detached``, SHA-256, the signer's certificate in the CMS signed
   attributes), as a certification signature that permits no later change (DocMDP P=1): any
   byte altered after it, an attachment swapped or a page edited, fails validation.

Any PAdES validator checks it with the published certificate as its trust anchor: pyHanko
(``pyhanko sign validate --trust cert.pem``), Adobe Reader, EU DSS (docs/verify-offline.md).
"""

from __future__ import annotations

import io
import json
import warnings
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization

from registry.certificates.signing_key import DocumentSigningKey

with warnings.catch_warnings():
    # pyHanko imports cryptography's DSA key classes, which cryptography deprecates: a warning
    # on every start of the CLI and the API otherwise (dareg never signs with DSA)
    warnings.filterwarnings("ignore", message="DSA is deprecated")
    from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.embed import (
        EmbeddedFileObject,
        EmbeddedFileParams,
        FileSpec,
        embed_file,
    )
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

#: The attachment's name and media type (W3C VC Data Model 2.0, §6.3).
CREDENTIAL_FILE = "credential.json"
CREDENTIAL_MEDIA_TYPE = "application/vc"
#: The signature field (invisible: the page shows the fingerprint and where to check it).
SIGNATURE_FIELD = "RegistrarAttestation"
SIGNATURE_REASON = "数据资产登记证书 registrar's attestation"


def credential_bytes(credential: dict[str, Any]) -> bytes:
    """The attachment's content: the credential as the API serves it, indented for people."""
    return json.dumps(credential, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def _signer(key: DocumentSigningKey) -> signers.SimpleSigner:
    """pyHanko's signer of ``key`` (its ASN.1 forms, through PEM)."""
    pem = key.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    chain = list(load_certs_from_pemder_data(key.pem_chain()))
    registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]  # untyped __init__
    registry.register_multiple(chain)
    return signers.SimpleSigner(
        signing_cert=chain[0],
        signing_key=load_private_key_from_pemder_data(pem, None),
        cert_registry=registry,
    )


def seal_pdf(
    pdf: bytes,
    *,
    credential: dict[str, Any],
    key: DocumentSigningKey,
    location: str,
    created: datetime,
) -> bytes:
    """``pdf`` with ``credential`` attached, signed by ``key`` (PAdES B-B, certifying)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    data = EmbeddedFileObject.from_file_data(
        writer,
        credential_bytes(credential),
        mime_type=CREDENTIAL_MEDIA_TYPE,
        params=EmbeddedFileParams(creation_date=created, modification_date=created),
    )
    embed_file(
        writer,
        FileSpec(
            file_spec_string=CREDENTIAL_FILE,
            file_name=CREDENTIAL_FILE,
            embedded_data=data,
            description="可验证凭证 Verifiable Credential (W3C VC 2.0, EIP-712 signed)",
            af_relationship=generic.NameObject("/Data"),
        ),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=SIGNATURE_REASON,
        location=location,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
    )
    out = signers.sign_pdf(
        writer,
        metadata,
        signer=_signer(key),
        new_field_spec=fields.SigFieldSpec(sig_field_name=SIGNATURE_FIELD),
    )
    return bytes(out.getvalue())
