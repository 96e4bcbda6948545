"""The status list credentials (W3C Bitstring Status List v1.0) that certificate credentials'
``credentialStatus`` entries point at: public, made from the mirror at its indexed head and
signed by the registrar's account (:mod:`registry.certificates.status_lists`)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.deps import Registry
from api.schemas.common import ErrorPublic
from registry.certificates.status_list import STATUS_LISTS
from registry.certificates.vc import VC_MEDIA_TYPE
from registry.domain.numbers import UINT16_MAX, SqlInteger

router = APIRouter(prefix="/status-lists", tags=["certificates"])

RegistrarCode = Annotated[
    int, Path(ge=0, le=UINT16_MAX, description="the registrar code whose certificates it lists")
]
ListName = Annotated[str, Path(alias="list", description="one of " + ", ".join(STATUS_LISTS))]
PageNumber = Annotated[
    SqlInteger,
    Path(description="the page of token ids: token id // 131072 (statusListIndex: the rest)"),
]


@router.get(
    "/{registrar_code}/{list}/{page}",
    response_class=Response,
    responses={
        200: {
            "description": "a BitstringStatusListCredential (VC 2.0, EIP-712 signed by the "
            "registrar's account) as of the mirror's indexed head (credentialSubject.asOfBlock)",
            "content": {VC_MEDIA_TYPE: {}},
        },
        404: {
            "model": ErrorPublic,
            "description": "status_list_not_found: no such list name, registrar or page",
        },
        409: {
            "model": ErrorPublic,
            "description": "registrar_key_unavailable: this service holds no key of the registrar",
        },
        422: {"model": ErrorPublic, "description": "invalid_request: a malformed parameter"},
        503: {
            "model": ErrorPublic,
            "description": "chain_unreachable: the chain cannot be read now; chain_error: the "
            "node is behind the block the mirror indexed (reset or reorganised)",
        },
    },
)
def get_status_list(
    registrar_code: RegistrarCode, list_name: ListName, page: PageNumber, registry: Registry
) -> Response:
    """A registrar's status list: for each of its certificates whose token id is on ``page``, the
    value :func:`~registry.certificates.status_list.entry_value` gives its standing in list
    ``list_name`` (``revocation``, ``suspension``, ``lifecycle``, ``encumbrances``), as of the
    block the mirror has indexed. Cacheable for its ``ttl``; the next indexed block may change
    it."""
    service = registry.status_lists
    credential = service.credential(registrar_code, list_name, page)
    return Response(
        json.dumps(credential, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        media_type=VC_MEDIA_TYPE,
        headers={"Cache-Control": f"public, max-age={service.ttl}"},
    )
