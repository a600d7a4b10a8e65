"""REST API under /api/v1 (being written)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1")
