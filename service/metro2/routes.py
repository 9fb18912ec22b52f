"""Metro 2 endpoints for furnishers: check a file, import it, export their accounts, read
an import back. The file is the request body (its own size limit: ``METRO2_PATHS``)."""

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query, Request, Response

from schemas.metro2 import Metro2Check, Metro2Import
from service.core.deps import SessionDep, domain_router
from service.core.responses import problems
from service.metro2 import service
from service.metro2.mapping import header_values
from service.metro2.writer import render_file
from service.principals.deps import FurnisherDep

PREFIX = "/v1/furnisher/metro2"
#: The paths that take a Metro 2 file as their body, under the larger Metro 2 body limit
#: (``Settings.max_metro2_bytes``); every other path keeps the API's limit.
METRO2_PATHS = (PREFIX, PREFIX + "/check")
#: The media type of a Metro 2 character-format file as the API sends it.
METRO2_MEDIA_TYPE = "text/plain; charset=us-ascii"

router = domain_router(prefix=PREFIX, tags=["furnisher"], responses=problems(403))


async def _file_body(request: Request) -> bytes:
    """The request body as it came: the Metro 2 file."""
    return await request.body()


FileBody = Annotated[bytes, Depends(_file_body)]
#: A file with no accounts (a header and a trailer), the documentation's example.
EXAMPLE_FILE = render_file(
    header_values(
        name="Example Card Co (fictional)", as_of=date(2026, 11, 1), created=date(2026, 11, 2)
    ),
    [],
).decode("ascii")
_FILE_REQUEST: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A Metro 2 character-format file (426-byte records; fixed or "
        "variable length, with or without BDWs and line breaks)",
        "content": {
            "text/plain": {"schema": {"type": "string"}, "example": EXAMPLE_FILE},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Makes a retry safe: the same key with the same file returns the first "
        "import's result and writes nothing; with another file it is 409.",
    ),
]
ImportIdPath = Annotated[
    str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_]+$", examples=["m2i_0"])
]


@router.post(
    "/check",
    summary="Check a Metro 2 file: every problem by record, field and positions",
    operation_id="checkMetro2File",
    response_model=Metro2Check,
    openapi_extra=_FILE_REQUEST,
    responses=problems(413, 422),
)
def check_file(body: FileBody, caller: FurnisherDep) -> Metro2Check:
    return service.check_file(body)


@router.post(
    "",
    summary="Import a Metro 2 file: each valid base segment furnishes one of your accounts",
    operation_id="importMetro2File",
    response_model=Metro2Import,
    status_code=201,
    openapi_extra=_FILE_REQUEST,
    responses=problems(409, 413, 422),
)
def import_file(
    body: FileBody,
    session: SessionDep,
    caller: FurnisherDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Metro2Import:
    return service.import_file(
        session,
        furnisher=caller.principal,
        data=body,
        now=caller.now,
        idempotency_key=idempotency_key,
    )


@router.get(
    "/imports/{import_id}",
    summary="Read one of your Metro 2 imports back",
    operation_id="getMetro2Import",
    response_model=Metro2Import,
    responses=problems(404, 422),
)
def get_import(import_id: ImportIdPath, session: SessionDep, caller: FurnisherDep) -> Metro2Import:
    return service.get_import(session, furnisher=caller.principal, import_id=import_id)


@router.get(
    "",
    summary="Your accounts as a Metro 2 character-format file",
    operation_id="exportMetro2File",
    response_class=Response,
    responses={
        200: {
            "description": "The file: header, one base segment per account, trailer",
            "content": {METRO2_MEDIA_TYPE: {"schema": {"type": "string"}, "example": EXAMPLE_FILE}},
        },
        **problems(422),
    },
)
def export_file(
    session: SessionDep,
    caller: FurnisherDep,
    as_of: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            description="YYYY-MM-DD: each account as it stood on this day (default: today)",
            examples=["2026-11-01"],
        ),
    ] = None,
) -> Response:
    day = service.as_of_day(as_of, caller.now)
    data = service.export_file(session, furnisher=caller.principal, as_of=day, now=caller.now)
    return Response(
        content=data,
        media_type=METRO2_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="metro2-{day.isoformat()}.txt"'},
    )
