"""Who a page's caller is: the session cookie of its area, checked on every request, and
the form token checked on every write. A page without a valid session sends the browser to
its sign-in; a write without the session's form token, or from another origin, is refused."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from service.core.config import Settings
from service.core.deps import SessionDep, is_serial, session_factory
from service.core.errors import Forbidden
from service.web import service
from service.web.rules import CONSOLE_COOKIE, PORTAL_COOKIE
from service.web.service import WebCaller

COOKIES = {"portal": PORTAL_COOKIE, "console": CONSOLE_COOKIE}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SignInRequired(Exception):  # noqa: N818 - a redirect, not an error
    """No valid session for the area: the browser goes to its sign-in page."""

    def __init__(self, area: str) -> None:
        super().__init__(area)
        self.area = area


class CrossSiteRequest(Forbidden):
    slug = "forbidden"
    title = "The form did not come from this site"


def same_origin(request: Request) -> bool:
    """A write came from this site: its ``Sec-Fetch-Site`` says so, or, from a browser that
    sends none, its ``Origin`` names this host. (Under ``Referrer-Policy: no-referrer`` a
    browser sends ``Origin: null`` even from this site, so ``null`` proves nothing.) A request
    that sends neither (not a browser) is judged by its form token alone."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in {"same-origin", "none"}
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        host = request.headers.get("host", "")
        return origin in {f"http://{host}", f"https://{host}"}
    return True


async def check_form(request: Request, expected: str | None) -> None:
    """Refuse a write from another origin or without the expected form token."""
    if request.method in SAFE_METHODS:
        return
    if not same_origin(request):
        raise CrossSiteRequest(detail="This form was sent from another site.")
    form = await request.form()
    given = form.get("csrf_token")
    if not service.same_token(given if isinstance(given, str) else None, expected):
        raise CrossSiteRequest(
            detail="The form's token is missing or stale: reload the page and try again."
        )


def _read(session: Session, settings: Settings, area: str, token: str | None) -> WebCaller | None:
    return service.signed_in(session, settings, area=area, token=token)


def _read_apart(
    factory: sessionmaker[Session], settings: Settings, area: str, token: str | None
) -> WebCaller | None:
    with factory() as session:
        return _read(session, settings, area, token)


def signed_in_to(area: str) -> Callable[..., Awaitable[WebCaller]]:
    """A dependency giving the area's signed-in caller, checked as the API checks a key
    (on SQLite in the route's own transaction, elsewhere in a short one of its own)."""

    async def _caller(request: Request, session: SessionDep) -> WebCaller:
        settings: Settings = request.app.state.settings
        token = request.cookies.get(COOKIES[area])
        if is_serial(session.get_bind()):
            caller = _read(session, settings, area, token)
        else:
            caller = await run_in_threadpool(
                _read_apart, session_factory(request), settings, area, token
            )
        if caller is None:
            if request.method not in SAFE_METHODS:
                await check_form(request, None)
            raise SignInRequired(area)
        await check_form(request, caller.csrf_token)
        return caller

    return _caller


PortalDep = Annotated[WebCaller, Depends(signed_in_to("portal"))]
ConsoleDep = Annotated[WebCaller, Depends(signed_in_to("console"))]
