"""create_app(settings): the FastAPI application, its routers and its error handlers."""

import functools
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from service.core.config import Settings, get_settings
from service.core.db import make_engine, make_sessionmaker
from service.core.deps import check_units_of_work, limit_worker_threads, reject_unknown_query
from service.core.middleware import BodySizeLimit, ExposureGuard, SecurityHeaders
from service.core.problems import install_problem_handlers
from service.core.responses import install_openapi
from service.core.wal import checkpoints_in_background

API_DESCRIPTION = """\
Clearfile is a consented, financial-only credit-reporting sandbox: a small credit bureau
with fictional people in it. Every request authenticates with `Authorization: Bearer <key>`.
Errors are RFC 9457 problem documents. Money is in integer cents; dates are `YYYY-MM-DD`.
"""

TAGS = [
    {"name": "sandbox", "description": "The sandbox operator: principals, clock, reset."},
    {"name": "furnisher", "description": "Lenders and servicers reporting their accounts."},
    {"name": "subject", "description": "The person the file is about: access to it."},
    {
        "name": "consent",
        "description": "Who may read my file: consents, security freeze, fraud alerts.",
    },
    {
        "name": "lender",
        "description": "Lenders reading files under consents, and their decisions.",
    },
    {
        "name": "disputes",
        "description": "Contest an item of my file: deadlines, results, statements.",
    },
    {"name": "audit", "description": "The hash-chained log of every read and write."},
    {
        "name": "scoring",
        "description": "My score: how it was made, why, what would raise it, its receipts.",
    },
    {
        "name": "events",
        "description": "What changed, for each principal: the event feed and webhooks.",
    },
    {"name": "webhooks", "description": "Endpoints that receive my events, signed."},
    {"name": "public", "description": "Health and published material."},
]


@functools.cache
def _freeze_startup_heap() -> None:
    """Move everything built so far (modules, the app, its schemas and caches) out of the
    cyclic garbage collector's reach. It lives as long as the process, and a full
    collection that walked it would pause every request in flight for the whole walk;
    frozen, it is never walked again. This is the use the ``gc.freeze`` documentation
    gives. Once per process: later objects (a test's, say) stay collectable."""
    gc.freeze()


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    from service.scheduler import due_work_schedule
    from service.webhooks.worker import delivery_worker

    _freeze_startup_heap()
    limit_worker_threads(app.state.engine)
    settings: Settings = app.state.settings
    with checkpoints_in_background(app.state.engine):
        async with (
            due_work_schedule(app.state.sessionmaker, settings.due_work_interval_seconds),
            delivery_worker(app.state.sessionmaker, settings),
        ):
            yield


def create_app(settings: Settings | None = None) -> FastAPI:
    from service.access.routes import router as access_router
    from service.audit.routes import router as audit_router
    from service.consent.routes import lender_router as consent_lender_router
    from service.consent.routes import router as consent_router
    from service.disputes.routes import audit_router as disputes_audit_router
    from service.disputes.routes import furnisher_router as disputes_furnisher_router
    from service.disputes.routes import router as disputes_router
    from service.events.routes import router as events_router
    from service.furnishing.routes import router as furnishing_router
    from service.health import router as health_router
    from service.lending.routes import router as lending_router
    from service.metro2.routes import METRO2_PATHS
    from service.metro2.routes import router as metro2_router
    from service.notices.routes import router as notices_router
    from service.sandbox.routes import router as sandbox_router
    from service.scoring.routes import models_router as scoring_models_router
    from service.scoring.routes import router as scoring_router
    from service.web.install import install_web
    from service.webhooks.routes import router as webhooks_router

    settings = settings or get_settings()
    app = FastAPI(
        title="Clearfile",
        version="1.0.0",
        summary="A consented, financial-only credit-reporting sandbox",
        description=API_DESCRIPTION,
        openapi_tags=TAGS,
        dependencies=[Depends(reject_unknown_query)],
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    install_problem_handlers(app)
    for router in (
        health_router,
        sandbox_router,
        furnishing_router,
        metro2_router,
        access_router,
        # A request is matched against the routes in this order, each one tried in turn:
        # the lender's routes, a lender's every pull, come before the subject's consents.
        lending_router,
        consent_lender_router,
        consent_router,
        notices_router,
        disputes_router,
        disputes_furnisher_router,
        audit_router,
        disputes_audit_router,
        scoring_router,
        scoring_models_router,
        events_router,
        webhooks_router,
    ):
        app.include_router(router)
    install_web(app)
    check_units_of_work(app.routes)
    install_openapi(app)
    # The last added runs first: headers on every answer, the guards' own included.
    app.add_middleware(
        BodySizeLimit,
        limit=settings.max_body_bytes,
        overrides={
            path: (settings.max_metro2_bytes, "CLEARFILE_MAX_METRO2_BYTES") for path in METRO2_PATHS
        },
    )
    app.add_middleware(ExposureGuard, settings=settings)
    app.add_middleware(SecurityHeaders)
    return app
