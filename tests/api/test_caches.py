"""The report's caches stay within their bounds and keep no superseded entry."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from service.core.cache import LruCache
from service.file import service as file_service
from service.furnishing import service as furnishing_service
from tests.conftest import Actor
from tests.factories import account_body, furnish


def test_an_lru_cache_holds_at_most_its_bound_and_evicts_the_least_recently_used() -> None:
    cache: LruCache[str, int] = LruCache(max_entries=3)
    for n, key in enumerate(["a", "b", "c"]):
        cache.put(key, n)
    assert cache.get("a") == 0  # "a" is now the most recently used; "b" the least
    cache.put("d", 3)
    assert len(cache) == 3
    assert "b" not in cache
    assert [cache.get(k) for k in ("a", "c", "d")] == [0, 2, 3]
    cache.put("c", 20)  # replacing an entry does not grow the cache
    assert len(cache) == 3
    assert cache.get("c") == 20
    with pytest.raises(ValueError, match="at least 1"):
        LruCache[str, int](max_entries=0)


@pytest.fixture
def small_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both report caches replaced by empty ones of two entries for the test."""
    monkeypatch.setattr(furnishing_service, "_VIEW_CACHE", LruCache(max_entries=2))
    monkeypatch.setattr(file_service, "_ITEMS_CACHE", LruCache(max_entries=2))


def _report(client: TestClient, subject: Actor) -> dict[str, object]:
    resp = client.get("/v1/me/report", headers=subject.headers)
    assert resp.status_code == 200, resp.text
    data: dict[str, object] = resp.json()
    return data


def test_a_new_version_replaces_the_cached_view_of_its_account(
    small_caches: None,
    client: TestClient,
    make_subject: Callable[..., Actor],
    make_furnisher: Callable[..., Actor],
) -> None:
    subject, furnisher = make_subject(), make_furnisher()
    account = furnish(client, furnisher, "CACHE-1", account_body(subject.id))
    for balance in (100_000, 90_000, 80_000, 70_000):
        furnish(client, furnisher, "CACHE-1", account_body(subject.id, balance_cents=balance), 200)
        _report(client, subject)

    views = furnishing_service._VIEW_CACHE
    items = file_service._ITEMS_CACHE
    # One view of the account (its fifth version), one file of the subject: no history.
    assert len(views) == 1
    assert len(items) == 1
    entry = views.get(account["id"])
    assert entry is not None
    view = entry[1].account
    assert view.version == 5
    assert view.balance_cents == 70_000
    assert len(view.versions) == 5
    file_entry = items.get(subject.id)
    assert file_entry is not None
    assert [a.balance_cents for a in file_entry[2].accounts] == [70_000]


def test_the_caches_keep_at_most_their_bound_least_recently_read_out(
    small_caches: None,
    client: TestClient,
    make_subject: Callable[..., Actor],
    make_furnisher: Callable[..., Actor],
) -> None:
    furnisher = make_furnisher()
    subjects = [make_subject() for _ in range(3)]
    for n, subject in enumerate(subjects):
        furnish(client, furnisher, f"CACHE-B-{n}", account_body(subject.id))
    first, second, third = subjects
    _report(client, first)
    _report(client, second)
    _report(client, first)  # the second is now the least recently read
    _report(client, third)

    assert len(file_service._ITEMS_CACHE) == 2
    assert len(furnishing_service._VIEW_CACHE) == 2
    assert first.id in file_service._ITEMS_CACHE
    assert third.id in file_service._ITEMS_CACHE
    assert second.id not in file_service._ITEMS_CACHE
    # An evicted file is built again, the same as before.
    assert [a["account_ref"] for a in _report(client, second)["accounts"]] == ["CACHE-B-1"]  # type: ignore[index]
