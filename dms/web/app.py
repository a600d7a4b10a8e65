"""The FastAPI application: UI pages at /, REST API at /api/v1, errors mapped in one place."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from dms import __version__
from dms.errors import AuthenticationRequired, DmsError, InvalidInput
from dms.services.context import App

STATIC = Path(__file__).parent / "static"


def create_app(dms: App) -> FastAPI:
    from dms.web import (
        api,
        api_finance,
        api_mailroom,
        api_signatures,
        api_workflow,
        ui,
        ui_finance,
        ui_mailroom,
        ui_signatures,
        ui_workflow,
    )

    web = FastAPI(
        title="E-Akte API",
        version=__version__,
        docs_url="/api/v1/docs",
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,
        description="REST-API der E-Akte: Aktenplan, Akten, Vorgänge, Dokumente, Suche, "
        "Posteingang und Prozesse.",
    )
    web.state.dms = dms
    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    web.include_router(api.router)
    web.include_router(api_workflow.router)
    web.include_router(api_mailroom.router)
    web.include_router(ui.router)
    web.include_router(ui_workflow.router)
    web.include_router(ui_mailroom.router)
    web.include_router(api_finance.router)
    web.include_router(ui_finance.router)
    web.include_router(api_signatures.router)
    web.include_router(ui_signatures.router)

    @web.exception_handler(DmsError)
    def _dms_error(request: Request, exc: DmsError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"error": exc.code, "message": exc.message}, status_code=exc.http_status
            )
        if isinstance(exc, AuthenticationRequired):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        return ui.error_page(request, exc)

    @web.exception_handler(RequestValidationError)
    def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"error": "invalid_input", "detail": jsonable_encoder(exc.errors())},
                status_code=422,
            )
        return ui.error_page(
            request,
            InvalidInput(
                "Die Adresse oder das Formular enthält ungültige Angaben / invalid request"
            ),
        )

    @web.middleware("http")
    async def _security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'self'",
        )
        return response

    return web
