"""The FastAPI application: REST under ``/api/v1``, OpenAPI at ``/docs``."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse

from api.access_log import AccessLogMiddleware
from api.chain import OneChanceAtTheChain
from api.deps import describe_requirements
from api.errors import install_error_handlers
from api.idempotency import IdempotencyMiddleware, describe_idempotency
from api.limits import AnonymousRateLimit, BodyLimit
from api.routes import (
    access_log,
    applications,
    audit,
    auth,
    certificates,
    contexts,
    deployment,
    evidence,
    governance,
    guides,
    health,
    pages,
    provenance,
    relay,
    rights,
    statistics,
    status_lists,
    valuations,
    verify,
)
from api.staging import StagedWritesMiddleware
from registry import __version__
from registry.context import RegistryContext
from registry.idempotency import IdempotencyStore
from registry.settings import Settings


def create_app(context: RegistryContext) -> FastAPI:
    app = FastAPI(
        title="dareg",
        version=__version__,
        description="Registry of data assets: evidence, certificates, licences, pledges.",
    )
    app.state.registry = context
    install_error_handlers(app)
    v1 = APIRouter(prefix="/api/v1")
    v1.include_router(health.router)
    v1.include_router(auth.router)
    v1.include_router(deployment.router)
    v1.include_router(evidence.router)
    v1.include_router(applications.router)
    v1.include_router(certificates.router)
    v1.include_router(certificates.metadata_router)
    v1.include_router(certificates.registrars_router)
    v1.include_router(status_lists.router)
    v1.include_router(verify.router)
    v1.include_router(rights.router)
    v1.include_router(rights.regulator_router)
    v1.include_router(relay.router)
    v1.include_router(governance.router)
    v1.include_router(valuations.router)
    v1.include_router(valuations.regulator_router)
    v1.include_router(audit.router)
    v1.include_router(provenance.router)
    v1.include_router(statistics.router)
    v1.include_router(access_log.router)
    app.include_router(v1)
    app.include_router(certificates.verify_router)
    app.include_router(statistics.page_router)
    app.include_router(pages.router)
    app.include_router(contexts.router)
    app.include_router(guides.router)
    describe_requirements(app)
    # innermost: a request's first call that cannot reach the chain ends its later ones
    app.add_middleware(OneChanceAtTheChain)
    describe_idempotency(app)
    # then: what a request carried is written only when it succeeds
    app.add_middleware(StagedWritesMiddleware)
    # behind authentication (a key is its caller's): a POST with Idempotency-Key answered once
    app.add_middleware(
        IdempotencyMiddleware,
        store=IdempotencyStore(context.engine, ttl=context.settings.idempotency_key_ttl),
    )
    app.add_middleware(AnonymousRateLimit, rate_per_minute=context.settings.public_rate_per_minute)
    # before anything parses a body: its size and JSON nesting
    app.add_middleware(
        BodyLimit,
        max_bytes=context.settings.max_body_bytes,
        max_depth=context.settings.max_json_depth,
    )
    # outermost: every write is recorded, the rate limit's refusals too
    app.add_middleware(AccessLogMiddleware, log=context.access_log)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> str:
        return _HOME.format(version=__version__, chain_id=context.manifest.chain_id)

    return app


def app_from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory api.main:app_from_environment`` against a running chain."""
    return create_app(RegistryContext.open(Settings()))


_HOME = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>dareg 数据资产登记</title></head>
<body style="font-family: sans-serif; max-width: 44rem; margin: 2rem auto">
<h1>dareg · 数据资产登记 registry</h1>
<p>Version {version}, chain {chain_id}.</p>
<ul>
<li><a href="/sign-in">登录 sign in</a> (wallet or keystore file)</li>
<li><a href="/docs">API documentation (OpenAPI)</a></li>
<li><a href="/api/v1/health">health</a> · <a href="/api/v1/deployment">deployment</a>
 · <a href="/api/v1/evidence">anchored evidence 存证</a></li>
<li><a href="/regulator/statistics">statistics 数据资产统计</a> (regulator)</li>
</ul>
</body></html>
"""
