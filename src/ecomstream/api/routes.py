"""The JSON API: the report and its parts, read from the store with the report's own queries.

Every endpoint is a plain function run in the server's thread pool (the store is blocking),
answers JSON encoded by `render_json` (so `/api/report` gives the same bytes as `ecomstream
report --json` with the same filters), and answers a bad parameter with 400 and a message.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from ecomstream.api import prometheus
from ecomstream.api.params import ParameterError, checked, filters_of, limit_of
from ecomstream.errors import ConfigError, StoreError
from ecomstream.report import filtered, live, panels, queries
from ecomstream.report.build import build_report, render_json
from ecomstream.report.filters import parse_time
from ecomstream.store.base import Store

log = logging.getLogger(__name__)

FILTER_PARAMS = ("since", "until", "brand", "category")
MAX_ROWS = 10_000


def _json(value: Any) -> Response:
    return Response(render_json(value), media_type="application/json")


def api_router(store: Store) -> APIRouter:
    """Routes under /api plus /metrics, reading `store`."""
    router = APIRouter()

    @router.get("/api/report")
    def report(request: Request) -> Response:
        found = checked(request.query_params, FILTER_PARAMS)
        return _json(build_report(store, filters_of(found)))

    @router.get("/api/totals")
    def totals(request: Request) -> Response:
        filters = filters_of(checked(request.query_params, FILTER_PARAMS))
        return _json({**live.kpis(store, filters), "newest_window": _iso(filtered.newest_window(store))})

    @router.get("/api/timeseries")
    def timeseries(request: Request) -> Response:
        found = checked(request.query_params, ("since", "until"))
        since, until = parse_time(found.get("since"), "since"), parse_time(found.get("until"), "until")
        if since is not None and until is not None and since >= until:
            msg = f"empty time range: since {found['since']!r} is not before until {found['until']!r}"
            raise ParameterError(msg)
        return _json(queries.timeseries(store, since, until))

    @router.get("/api/brands")
    def brands(request: Request) -> Response:
        found = checked(request.query_params, (*FILTER_PARAMS, "limit"))
        return _json(filtered.dimension(store, "brands", filters_of(found), limit_of(found, None, MAX_ROWS)))

    @router.get("/api/categories")
    def categories(request: Request) -> Response:
        found = checked(request.query_params, (*FILTER_PARAMS, "limit"))
        return _json(filtered.dimension(store, "categories", filters_of(found), limit_of(found, None, MAX_ROWS)))

    @router.get("/api/funnel")
    def funnel(request: Request) -> Response:
        checked(request.query_params, ())
        return _json(panels.funnel(store))

    @router.get("/api/quality")
    def quality(request: Request) -> Response:
        found = checked(request.query_params, ("limit",))
        return _json(panels.quality(store, limit_of(found, 20, 1_000)))

    @router.get("/api/health")
    def health(request: Request) -> Response:
        checked(request.query_params, ())
        return _json(panels.health(store))

    @router.get("/metrics")
    def metrics(request: Request) -> Response:
        checked(request.query_params, ())
        return Response(prometheus.render(store), media_type=prometheus.CONTENT_TYPE)

    @router.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    def unknown(rest: str) -> Response:
        endpoints = "report, totals, timeseries, brands, categories, funnel, quality, health"
        return JSONResponse({"error": f"no such endpoint /api/{rest[:60]}; try /api/{{{endpoints}}}"}, 404)

    return router


def _iso(epoch_s: int | None) -> str | None:
    return None if epoch_s is None else queries.iso_window(epoch_s)


def install(app: FastAPI, store: Store) -> None:
    """Add the API routes and its error answers to `app`."""
    app.include_router(router=api_router(store))

    @app.exception_handler(ConfigError)
    async def bad_parameter(_request: Request, err: ConfigError) -> JSONResponse:
        return JSONResponse({"error": str(err)}, status_code=400)

    @app.exception_handler(StoreError)
    async def store_unavailable(_request: Request, err: StoreError) -> JSONResponse:
        log.error("store error: %s", err)
        return JSONResponse({"error": f"the store cannot be read now: {err}"}, status_code=503)

    @app.exception_handler(Exception)
    async def internal(_request: Request, err: Exception) -> JSONResponse:
        log.exception("internal error answering a request", exc_info=err)
        return JSONResponse({"error": "internal error; the server log has the details"}, status_code=500)
