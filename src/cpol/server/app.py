"""The application factory: one FastAPI app over one database (SPEC §5.1)."""

from __future__ import annotations

import gc

from fastapi import FastAPI

import cpol
from cpol.server import (
    catalogue_routes,
    contact_routes,
    decide,
    decide_routes,
    errors,
    flow_routes,
    impact_routes,
    list_routes,
    metric_routes,
    respond_routes,
    routes,
    segment_routes,
)
from cpol.server.database import make_engine
from cpol.server.decision_log import LogWriter, Retention
from cpol.server.policy_sets import PolicySets
from cpol.server.schemas import Health
from cpol.server.settings import Settings

BASE_PATH = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service for `settings` (default: from the environment). The schema must already
    be migrated: `cpol serve` and `cpol db upgrade` do that once, before any worker starts."""
    settings = settings or Settings.from_env()
    app = FastAPI(
        title="cpol",
        version=cpol.__version__,
        description="Contact policies as code: the contact-policy API (SPEC §5).",
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    sets = PolicySets()
    retention = Retention(settings.decision_retention_days)
    app.state.decide = decide.Service(app.state.engine, sets, LogWriter(app.state.engine, sets, retention))
    errors.install(app)
    app.include_router(impact_routes.router, prefix=BASE_PATH)  # before `/{policy_id}`
    app.include_router(routes.router, prefix=BASE_PATH)
    app.include_router(flow_routes.router, prefix=BASE_PATH)
    app.include_router(catalogue_routes.router, prefix=BASE_PATH)
    app.include_router(decide_routes.router, prefix=BASE_PATH)
    app.include_router(respond_routes.router, prefix=BASE_PATH)
    app.include_router(list_routes.router, prefix=BASE_PATH)  # before `/contacts/{contact_id}`
    app.include_router(segment_routes.router, prefix=BASE_PATH)  # before `/contacts/{contact_id}`
    app.include_router(contact_routes.router, prefix=BASE_PATH)
    app.include_router(metric_routes.router, prefix=BASE_PATH)

    @app.get("/healthz", tags=["health"])
    def healthz() -> Health:
        return Health(status="ok")

    return app


def serving_app() -> FastAPI:
    """The app as `cpol serve` runs it in each worker: its startup heap (modules, routes,
    schemas; most of the process's objects) frozen out of the garbage collector, which
    otherwise walks it at every full collection: a 40-50 ms pause of the worker, several
    a minute under load, that every request then waiting paid (docs/performance.md)."""
    app = create_app()
    gc.collect()
    gc.freeze()
    return app
