"""The web front's routes: parse the form, check the session, call the same domain service
the API calls, render a page (or send the browser on, after a write). A refused write is
shown on its form, next to its fields, from the problem document the API would return."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from schemas.common import Purpose, Role
from schemas.consent import ConsentCreate, FraudAlertCreate
from schemas.disputes import DisputeCreate, ItemType, ReasonCode, StatementCreate
from schemas.sandbox import ClockSet
from schemas.scoring import SimulationRequest
from service.access import service as access
from service.audit import service as audit
from service.consent import rules as consent_rules
from service.consent import service as consent
from service.core.config import Settings
from service.core.deps import SessionDep, domain_router
from service.core.errors import DomainError
from service.core.problems import validation_error_from
from service.disputes import rules as dispute_rules
from service.disputes import service as disputes
from service.notices import service as notices
from service.sandbox import service as sandbox
from service.scoring import service as scoring
from service.web import render, service
from service.web.deps import ConsoleDep, PortalDep, same_origin
from service.web.messages import for_people
from service.web.rules import (
    ADVANCE_CHOICES,
    CONSOLE_COOKIE,
    PORTAL_COOKIE,
    SESSION_LIFETIME,
    SIGN_IN_COOKIE,
)
from service.web.service import WebCaller

portal = domain_router(prefix="/portal", include_in_schema=False)
console = domain_router(prefix="/console", include_in_schema=False)

#: The most rows a page lists (the API's largest page).
PAGE_ROWS = 200

#: A refused form's heading when fields were refused: what the person does next (the
#: problem document's own title, "The request is not valid", speaks to a program).
VALIDATION_TITLE = "Check the form"

Text = Annotated[str, Form()]
OptionalText = Annotated[str | None, Form()]


def problem_of(error: DomainError | ValidationError) -> dict[str, Any]:
    """The problem document the API would return, for the page: title, detail and each
    field's error by field name."""
    if isinstance(error, ValidationError):
        wrapped = RequestValidationError(
            [
                {**e, "loc": ("body", *e["loc"]), "msg": for_people(_name_of(e["loc"]), e)}
                for e in error.errors(include_url=False)
            ]
        )
        error = validation_error_from(wrapped)
        told = list(dict.fromkeys(e.detail for e in error.errors))
        title, detail = VALIDATION_TITLE, ". ".join(told) + "."
    else:
        title, detail = error.title, error.detail
    fields: dict[str, str] = {}
    for e in error.errors:
        for name in (e.field, e.field.split(".")[0], e.field.rsplit(".", 1)[-1]):
            fields.setdefault(name, e.detail)
    return {
        "status": error.status,
        "title": title,
        "detail": detail,
        "fields": fields,
    }


def _name_of(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location's field name (the last named part)."""
    names = [str(part) for part in loc if isinstance(part, str)]
    return names[-1] if names else ""


def _refused(session: Session, error: DomainError | ValidationError) -> dict[str, Any]:
    """Undo whatever the refused write began, and describe the refusal."""
    session.rollback()
    return problem_of(error)


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _set_cookie(response: Response, name: str, value: str, path: str, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path=path, httponly=True, samesite="strict", secure=False
    )


def _sign_in_page(
    request: Request,
    area: str,
    *,
    key: str = "",
    problem: dict[str, Any] | None = None,
) -> Response:
    settings: Settings = request.app.state.settings
    token = request.cookies.get(SIGN_IN_COOKIE) or service.new_form_token()
    role = Role.subject if area == "portal" else None
    personas: list[Any] = []
    if area == "portal" and settings.load_fixtures:
        personas, _ = sandbox.list_personas(role=role, offset=0, limit=PAGE_ROWS)
    response = render.page(
        f"{area}/sign_in.html",
        status_code=problem["status"] if problem else 200,
        csrf_token=token,
        key=key,
        problem=problem,
        personas=personas,
    )
    _set_cookie(response, SIGN_IN_COOKIE, token, "/", int(SESSION_LIFETIME.total_seconds()))
    return response


def _sign_in(request: Request, session: Session, area: str, key: str, csrf_token: str) -> Response:
    """Open a session for the area's key, after the double-submitted form token matches."""
    settings: Settings = request.app.state.settings
    if not same_origin(request) or not service.same_token(
        csrf_token, request.cookies.get(SIGN_IN_COOKIE)
    ):
        problem = {
            "status": 403,
            "title": "The form did not come from this site",
            "detail": "The form's token is missing or stale: reload the page and try again.",
            "fields": {},
        }
        return _sign_in_page(request, area, problem=problem)
    try:
        _, token = service.sign_in(session, settings, area=area, key=key)
    except DomainError as error:
        return _sign_in_page(request, area, problem=_refused(session, error))
    response = _see("/portal/file" if area == "portal" else "/console/")
    cookie = PORTAL_COOKIE if area == "portal" else CONSOLE_COOKIE
    _set_cookie(response, cookie, token, f"/{area}", int(SESSION_LIFETIME.total_seconds()))
    return response


def _sign_out(session: Session, caller: WebCaller, area: str) -> Response:
    service.sign_out(session, token=caller.token)
    response = _see(f"/{area}/sign-in")
    response.delete_cookie(PORTAL_COOKIE if area == "portal" else CONSOLE_COOKIE, path=f"/{area}")
    return response


# --- portal: signing in and out -------------------------------------------------------------


@portal.get("/")
def portal_home() -> Response:
    return _see("/portal/file")


@portal.get("/sign-in")
def portal_sign_in_page(
    request: Request, session: SessionDep, key: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    return _sign_in_page(request, "portal", key=key)


@portal.post("/sign-in")
def portal_sign_in(request: Request, session: SessionDep, key: Text, csrf_token: Text) -> Response:
    return _sign_in(request, session, "portal", key, csrf_token)


@portal.post("/sign-out")
def portal_sign_out(session: SessionDep, caller: PortalDep) -> Response:
    return _sign_out(session, caller, "portal")


# --- portal: my file --------------------------------------------------------------------------


def _portal_page(template: str, caller: WebCaller, status_code: int = 200, **ctx: Any) -> Response:
    return render.page(
        template, status_code=status_code, caller=caller, csrf_token=caller.csrf_token, **ctx
    )


@portal.get("/file")
def my_file(session: SessionDep, caller: PortalDep) -> Response:
    shown = access.read_report(session, subject=caller.principal, now=caller.now)
    return _portal_page("portal/file.html", caller, report=shown.report, page_name="file")


@portal.get("/file/accounts/{account_id}/versions")
def account_versions(
    session: SessionDep, caller: PortalDep, account_id: Annotated[str, Path(max_length=40)]
) -> Response:
    report = access.read_report(session, subject=caller.principal, now=caller.now).report
    account = next((a for a in report.accounts if a.id == account_id), None)
    if account is None:
        return _portal_page(
            "portal/not_found.html", caller, status_code=404, page_name="file", what="account"
        )
    return _portal_page("portal/versions.html", caller, account=account, page_name="file")


# --- portal: disputes and statements ----------------------------------------------------------


def _dispute_form(
    session: Session,
    caller: WebCaller,
    *,
    item_type: str,
    item_id: str,
    values: dict[str, Any] | None = None,
    problem: dict[str, Any] | None = None,
) -> Response:
    report = access.read_report(session, subject=caller.principal, now=caller.now).report
    return _portal_page(
        "portal/dispute_new.html",
        caller,
        status_code=problem["status"] if problem else 200,
        report=report,
        item_type=item_type,
        item_id=item_id,
        reasons=list(ReasonCode),
        identity_fields=dispute_rules.IDENTITY_FIELDS,
        rules=dispute_rules,
        values=values or {},
        problem=problem,
        page_name="disputes",
    )


@portal.get("/disputes/new")
def new_dispute(
    session: SessionDep,
    caller: PortalDep,
    item_type: Annotated[str, Query(max_length=20)] = ItemType.account.value,
    item_id: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    return _dispute_form(session, caller, item_type=item_type, item_id=item_id)


@portal.post("/disputes")
def file_dispute(
    session: SessionDep,
    caller: PortalDep,
    item_type: Text,
    item_id: Text,
    reason_code: OptionalText = None,
    description: Text = "",
    field: OptionalText = None,
) -> Response:
    values = {"reason_code": reason_code, "description": description, "field": field}
    try:
        body = DisputeCreate.model_validate(
            {
                "item_type": item_type,
                "item_id": item_id,
                "reason_code": reason_code,
                "description": description,
                **({"field": field} if field else {}),
            }
        )
        filed = disputes.file_dispute(session, subject=caller.principal, body=body, now=caller.now)
    except (DomainError, ValidationError) as error:
        problem = _refused(session, error)
        return _dispute_form(
            session, caller, item_type=item_type, item_id=item_id, values=values, problem=problem
        )
    return _see(f"/portal/disputes#{filed.id}")


def _disputes_page(
    session: Session, caller: WebCaller, problem: dict[str, Any] | None = None, text: str = ""
) -> Response:
    listed = disputes.list_disputes(
        session, subject=caller.principal, now=caller.now, cursor=None, limit=PAGE_ROWS
    )
    report = access.read_report(session, subject=caller.principal, now=caller.now).report
    return _portal_page(
        "portal/disputes.html",
        caller,
        status_code=problem["status"] if problem else 200,
        disputes=listed.items,
        items=service.item_names(report),
        statements=report.statements,
        rules=dispute_rules,
        problem=problem,
        text=text,
        page_name="disputes",
    )


@portal.get("/disputes")
def my_disputes(session: SessionDep, caller: PortalDep) -> Response:
    return _disputes_page(session, caller)


@portal.post("/statements")
def add_statement(
    session: SessionDep, caller: PortalDep, text: Text = "", dispute_id: OptionalText = None
) -> Response:
    try:
        body = StatementCreate.model_validate(
            {"text": text, **({"dispute_id": dispute_id} if dispute_id else {})}
        )
        disputes.add_statement(session, subject=caller.principal, body=body, now=caller.now)
    except (DomainError, ValidationError) as error:
        return _disputes_page(session, caller, problem=_refused(session, error), text=text)
    return _see("/portal/disputes#statements")


# --- portal: my score -------------------------------------------------------------------------


def _score_page(
    session: Session,
    caller: WebCaller,
    *,
    simulation: Any = None,
    values: dict[str, Any] | None = None,
    problem: dict[str, Any] | None = None,
) -> Response:
    score = scoring.score_me(session, subject=caller.principal, now=caller.now)
    report = access.read_report(session, subject=caller.principal, now=caller.now).report
    return _portal_page(
        "portal/score.html",
        caller,
        status_code=problem["status"] if problem else 200,
        score=score,
        accounts=report.accounts,
        simulation=simulation,
        values=values or {},
        problem=problem,
        page_name="score",
    )


@portal.get("/score")
def my_score(session: SessionDep, caller: PortalDep) -> Response:
    return _score_page(session, caller)


def _cents(dollars: str | None) -> int | str | None:
    """A dollar amount typed by a person as integer cents; left as typed when it is not one,
    so the validation names the field."""
    if dollars is None or not dollars.strip():
        return None
    text = dollars.strip().replace(",", "").removeprefix("$")
    whole, _, part = text.partition(".")
    if not whole.isdigit() or (part and (not part.isdigit() or len(part) > 2)):
        return dollars
    return int(whole) * 100 + int(part.ljust(2, "0") or 0)


@portal.post("/score/simulate")
def simulate(
    session: SessionDep,
    caller: PortalDep,
    kind: Text,
    account_id: OptionalText = None,
    balance: OptionalText = None,
    months: OptionalText = None,
) -> Response:
    values = {"kind": kind, "account_id": account_id, "balance": balance, "months": months}
    change: dict[str, Any] = {"kind": kind}
    if kind in {"pay_down", "close_account"}:
        change["account_id"] = account_id
    if kind == "pay_down":
        change["balance_cents"] = _cents(balance)
    if kind == "months_pass":
        change["months"] = int(months) if months and months.strip().isdigit() else months
    try:
        request = SimulationRequest.model_validate({"changes": [change]})
        result = scoring.simulate(
            session, subject=caller.principal, now=caller.now, request=request
        )
    except (DomainError, ValidationError) as error:
        problem = _refused(session, error)
        if "balance_cents" in problem["fields"]:
            problem["fields"]["balance"] = problem["fields"]["balance_cents"]
        return _score_page(session, caller, values=values, problem=problem)
    return _score_page(session, caller, simulation=result, values=values)


# --- portal: who has seen my file -------------------------------------------------------------


@portal.get("/access-log")
def access_log(
    session: SessionDep,
    caller: PortalDep,
    role: Annotated[str, Query(max_length=20)] = "",
    action: Annotated[str, Query(max_length=60)] = "",
) -> Response:
    events, _ = access.read_access_log(
        session, subject=caller.principal, now=caller.now, cursor=None, limit=PAGE_ROWS
    )
    shown = service.filter_log(events, role=role or None, action=action or None)
    return _portal_page(
        "portal/access_log.html",
        caller,
        events=shown,
        roles=[r.value for r in Role],
        actions=sorted({e.action for e in events}),
        role=role,
        action=action,
        page_name="access",
    )


# --- portal: consents, freeze, fraud alerts ---------------------------------------------------


def _consents_page(
    session: Session,
    caller: WebCaller,
    *,
    values: dict[str, Any] | None = None,
    problem: dict[str, Any] | None = None,
) -> Response:
    listed = consent.list_consents(
        session, subject=caller.principal, now=caller.now, cursor=None, limit=PAGE_ROWS
    )
    lenders, _ = sandbox.list_personas(role=Role.lender, offset=0, limit=PAGE_ROWS)
    return _portal_page(
        "portal/consents.html",
        caller,
        status_code=problem["status"] if problem else 200,
        consents=listed.items,
        freeze=consent.read_freeze(session, subject=caller.principal, now=caller.now),
        alerts=consent.list_fraud_alerts(
            session, subject=caller.principal, now=caller.now, cursor=None, limit=PAGE_ROWS
        ).items,
        lenders=lenders,
        purposes=list(Purpose),
        rules=consent_rules,
        values=values or {},
        problem=problem,
        default_expiry=date(caller.now.year + 1, caller.now.month, 1),
        page_name="consents",
    )


@portal.get("/consents")
def my_consents(session: SessionDep, caller: PortalDep) -> Response:
    return _consents_page(session, caller)


@portal.post("/consents")
def grant_consent(
    session: SessionDep,
    caller: PortalDep,
    lender_id: Text = "",
    purpose: Text = "",
    expires_on: Text = "",
    scope: Annotated[list[str] | None, Form()] = None,
    explicit_confirmation: OptionalText = None,
) -> Response:
    values = {"lender_id": lender_id, "purpose": purpose, "expires_on": expires_on, "scope": scope}
    try:
        body = ConsentCreate.model_validate(
            {
                "lender_id": lender_id,
                "purpose": purpose,
                "expires_on": expires_on,
                "scope": scope or [],
                "explicit_confirmation": explicit_confirmation == "yes",
            }
        )
        consent.grant(session, subject=caller.principal, body=body, now=caller.now)
    except (DomainError, ValidationError) as error:
        return _consents_page(session, caller, values=values, problem=_refused(session, error))
    return _see("/portal/consents")


@portal.post("/consents/{consent_id}/revoke")
def revoke_consent(session: SessionDep, caller: PortalDep, consent_id: str) -> Response:
    try:
        consent.revoke(session, subject=caller.principal, consent_id=consent_id, now=caller.now)
    except DomainError as error:
        return _consents_page(session, caller, problem=_refused(session, error))
    return _see("/portal/consents")


@portal.get("/consents/{consent_id}/receipt")
def consent_receipt(session: SessionDep, caller: PortalDep, consent_id: str) -> Response:
    try:
        found = consent.receipt(
            session, subject=caller.principal, consent_id=consent_id, now=caller.now
        )
    except DomainError as error:
        return _consents_page(session, caller, problem=_refused(session, error))
    return Response(
        found.model_dump_json(indent=2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="consent-receipt-{found.record_id}.json"'
        },
    )


@portal.post("/freeze")
def freeze(session: SessionDep, caller: PortalDep, action: Text) -> Response:
    if action == "place":
        consent.place_freeze(session, subject=caller.principal, now=caller.now)
    elif action == "lift":
        consent.lift_freeze(session, subject=caller.principal, now=caller.now)
    return _see("/portal/consents#freeze")


@portal.post("/fraud-alerts")
def fraud_alert(session: SessionDep, caller: PortalDep, kind: Text = "") -> Response:
    try:
        body = FraudAlertCreate.model_validate({"kind": kind})
        consent.place_fraud_alert(session, subject=caller.principal, kind=body.kind, now=caller.now)
    except (DomainError, ValidationError) as error:
        return _consents_page(session, caller, problem=_refused(session, error))
    return _see("/portal/consents#alerts")


# --- portal: notices --------------------------------------------------------------------------


@portal.get("/notices")
def my_notices(session: SessionDep, caller: PortalDep) -> Response:
    listed = notices.list_notices(
        session, subject=caller.principal, now=caller.now, cursor=None, limit=PAGE_ROWS
    )
    return _portal_page("portal/notices.html", caller, notices=listed.items, page_name="notices")


@portal.get("/notices/{notice_id}")
def read_notice(session: SessionDep, caller: PortalDep, notice_id: str) -> Response:
    try:
        notice = notices.get_notice(
            session, subject=caller.principal, notice_id=notice_id, now=caller.now
        )
    except DomainError:
        session.rollback()
        return _portal_page(
            "portal/not_found.html", caller, status_code=404, page_name="notices", what="notice"
        )
    return _portal_page("portal/notice.html", caller, notice=notice, page_name="notices")


# --- console ----------------------------------------------------------------------------------


@console.get("/sign-in")
def console_sign_in_page(request: Request, session: SessionDep) -> Response:
    return _sign_in_page(request, "console")


@console.post("/sign-in")
def console_sign_in(request: Request, session: SessionDep, key: Text, csrf_token: Text) -> Response:
    return _sign_in(request, session, "console", key, csrf_token)


@console.post("/sign-out")
def console_sign_out(session: SessionDep, caller: ConsoleDep) -> Response:
    return _sign_out(session, caller, "console")


def _console_page(
    session: Session,
    caller: WebCaller,
    *,
    problem: dict[str, Any] | None = None,
    message: str | None = None,
) -> Response:
    previews = [
        (days, sandbox.preview_due_work(session, now=caller.now, advance_days=days))
        for days in ADVANCE_CHOICES
    ]
    personas, _ = sandbox.list_personas(role=None, offset=0, limit=PAGE_ROWS)
    verification = audit.verify(session, limit=audit.MAX_VERIFY_EVENTS)
    return render.page(
        "console/index.html",
        status_code=problem["status"] if problem else 200,
        caller=caller,
        csrf_token=caller.csrf_token,
        now=caller.now,
        previews=previews,
        personas=personas,
        verification=verification,
        problem=problem,
        message=message,
    )


@console.get("/")
def console_home(session: SessionDep, caller: ConsoleDep) -> Response:
    return _console_page(session, caller)


@console.post("/clock")
def move_clock(
    session: SessionDep,
    caller: ConsoleDep,
    advance_days: OptionalText = None,
    to: OptionalText = None,
) -> Response:
    try:
        if to:
            body = ClockSet.model_validate({"now": f"{to}T00:00:00Z"})
        else:
            days = advance_days.strip() if advance_days else ""
            body = ClockSet.model_validate({"advance_days": int(days) if days.isdigit() else days})
        sandbox.move_clock(
            session, actor=caller.principal, to=body.now, advance_days=body.advance_days
        )
    except (DomainError, ValidationError) as error:
        return _console_page(session, caller, problem=_refused(session, error))
    return _see("/console/#clock")


@console.post("/reset")
def reset(request: Request, session: SessionDep, caller: ConsoleDep) -> Response:
    sandbox.reset(session, actor=caller.principal)
    service.keep_session(session, caller, request.app.state.settings)
    return _see("/console/")


# --- static files (no session: a plain router) ------------------------------------------------

static = APIRouter(prefix="/web-static", include_in_schema=False)

#: The only files served, with their media types: the stylesheet and the vendored htmx.
STATIC_FILES = {"style.css": "text/css", "htmx.min.js": "text/javascript"}


@static.get("/{name}")
def static_file(name: str) -> Response:
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        return Response(status_code=404)
    return Response(render.static_file(name), media_type=media_type)
