"""Server-rendered UI (being written)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from dms.errors import DmsError

router = APIRouter()


def error_page(request: Request, exc: DmsError) -> Response:
    return HTMLResponse(exc.message, status_code=exc.http_status)
