"""API keys are stored one-way: what the database holds cannot be turned back into a key.

The rule: a key is shown once, when it is issued, and stored only as its SHA-256 digest
(hex); a key presented later is hashed and compared.
"""

import base64
import binascii
import codecs
import hashlib
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.principals.models import ApiKey
from tests.conftest import Actor


def _stored(session: Session, principal_id: str) -> list[str]:
    stmt = select(ApiKey.key_hash).where(ApiKey.principal_id == principal_id)
    return list(session.scalars(stmt))


def _reversible_decodings(stored: str) -> list[str]:
    """What ``stored`` reads as under the usual reversible encodings."""
    decoded = [stored, stored[::-1], codecs.decode(stored, "rot13")]
    for decode in (base64.b64decode, base64.urlsafe_b64decode, base64.b32decode, bytes.fromhex):
        try:
            decoded.append(decode(stored).decode("utf-8", errors="replace"))  # type: ignore[operator]
        except (ValueError, binascii.Error):
            continue
    return decoded


def test_a_new_key_is_stored_as_its_sha256_digest_and_nothing_reversible(
    session: Session, make_subject: Callable[..., Actor], make_lender: Callable[..., Actor]
) -> None:
    for actor in (make_subject(), make_lender()):
        (stored,) = _stored(session, actor.id)
        assert stored == hashlib.sha256(actor.api_key.encode()).hexdigest()
        assert stored != actor.api_key
        # The random part of cf_<role>_<random> (the random part may itself hold "_").
        secret = actor.api_key.split("_", 2)[2]
        assert len(secret) >= 32
        for decoded in _reversible_decodings(stored):
            assert actor.api_key not in decoded
            assert secret not in decoded


def test_the_persona_keys_are_stored_as_digests_too(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    assert client.post("/v1/sandbox/reset", headers=admin_headers).status_code == 200
    key = "cf_subject_sandbox_ada_testwell"
    (stored,) = _stored(session, "sub_sandbox_ada_testwell")
    assert stored == hashlib.sha256(key.encode()).hexdigest()
    assert all(key not in decoded for decoded in _reversible_decodings(stored))
    # The stored value is not a key: presented as one, it is refused.
    resp = client.get("/v1/me/report", headers={"Authorization": f"Bearer {stored}"})
    assert resp.status_code == 401
