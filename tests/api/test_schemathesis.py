"""Schemathesis against the live app (the real chain, a real database), bounded and seeded.

Every operation of ``/openapi.json`` gets :data:`EXAMPLES` generated calls per caller, each
checked by schemathesis's own checks: no server error, a status code the operation declares, a
content type it declares, and a body that conforms to the declared response schema. Callers are
an anonymous client and, for operations behind a requirement, the persona its ``x-dareg-role``
lets through (the same personas as :mod:`tests.api.test_openapi_fuzz`), so the calls reach past
the 401/403 into the handlers.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.main import create_app
from registry.chain.client import ChainClient
from registry.context import RegistryContext
from registry.settings import Settings
from tests.api.actors import sign_in
from tests.api.test_access_matrix import _scene
from tests.api.test_openapi_fuzz import ROLE_CALLER

EXAMPLES = 6
"""Generated calls per operation and caller."""

SEED = 20261207
"""Schemathesis's generation is derandomised; the seed names the run in failure reports."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

#: Signing out ends the session the other calls use.
_LAST = "POST /api/v1/auth/sign-out"


def test_schemathesis_finds_nothing(
    ctx: RegistryContext, chain: ChainClient, test_settings: Settings
) -> None:
    roomy = RegistryContext.open(
        test_settings.model_copy(update={"public_rate_per_minute": 1_000_000}), client=chain
    )
    app = create_app(roomy)
    with TestClient(app, raise_server_exceptions=False) as client:
        _scene(ctx, client)  # a certificate, pledge, licence, valuation, objection to find
        spec = client.get("/openapi.json").json()
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = sorted(
            (op.ok() for op in schema.get_all_operations()),
            key=lambda op: (op.label == _LAST, op.label),
        )
        failures: list[str] = []
        outcomes: Counter[int] = Counter()
        for operation in operations:
            declared: dict[str, Any] = spec["paths"][operation.path][operation.method.lower()]
            role = declared["x-dareg-role"]
            callers: list[dict[str, str]] = [{}]
            if role != "public":
                callers.append(sign_in(client, ROLE_CALLER[role]))
            for headers in callers:
                _run(operation, headers, failures, outcomes)
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} failures:\n" + "\n".join(unique[:60])
    assert sum(outcomes.values()) >= len(operations) * EXAMPLES
    # the calls got into the handlers too, not only refused at the door
    assert outcomes[200] > 20, outcomes


def _run(
    operation: Any, headers: dict[str, str], failures: list[str], outcomes: Counter[int]
) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        try:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
        except AssertionError as exc:  # schemathesis's failures are assertion errors
            who = "signed in" if headers else "anonymous"
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            failures.append(f"{operation.label} ({who}): {first}")
            return
        outcomes[response.status_code] += 1

    call()
