"""GET /healthz: liveness, with no database work (the load benchmark's bare endpoint)."""

from fastapi import APIRouter
from pydantic import BaseModel

router = APIRouter(tags=["public"])


class Health(BaseModel):
    status: str = "ok"


@router.get("/healthz", summary="Liveness check", operation_id="health", response_model=Health)
def health() -> Health:
    return Health()
