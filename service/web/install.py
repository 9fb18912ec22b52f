"""Add the web front to the app: its routers, and the redirect to sign-in."""

from fastapi import FastAPI, Request
from starlette.responses import RedirectResponse, Response

from service.web.deps import SignInRequired
from service.web.routes import console, portal, static


async def _to_sign_in(request: Request, exc: Exception) -> Response:
    area = exc.area if isinstance(exc, SignInRequired) else "portal"
    return RedirectResponse(f"/{area}/sign-in", status_code=303)


def install_web(app: FastAPI) -> None:
    for router in (portal, console, static):
        app.include_router(router)
    app.add_exception_handler(SignInRequired, _to_sign_in)
