"""GET /healthz: liveness, with no database work (the load benchmark's bare endpoint)."""

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

router = APIRouter(tags=["public"])


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str = "ok"


@router.get("/healthz", summary="Liveness check", operation_id="health", response_model=Health)
def health() -> Health:
    return Health()
