"""Furnisher endpoints (built out in the furnishing work)."""

from fastapi import APIRouter

from service.core.responses import problems

router = APIRouter(prefix="/v1/furnisher", tags=["furnisher"], responses=problems(403))
