"""The retry schedule and the answer rules, without a database."""

from datetime import UTC, datetime, timedelta

from service.webhooks import rules

T0 = datetime(2026, 11, 16, tzinfo=UTC)


def test_backoff_doubles_with_jitter_and_stops_after_three_days() -> None:
    delays = [rules.retry_delay(n, 0.0) for n in range(1, 8)]
    assert delays[:3] == [timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=20)]
    assert rules.retry_delay(3, 0.999) > timedelta(seconds=10)  # jitter takes at most half
    assert rules.retry_delay(40, 0.0) == timedelta(hours=6)  # capped
    now, n = T0, 0
    while True:
        n += 1
        nxt = rules.next_attempt(first_attempt_at=T0, attempts_made=n, now=now, jitter_draw=0.3)
        if nxt is None:
            break
        now = nxt
    assert timedelta(days=2, hours=18) <= now - T0 <= timedelta(days=3)
    assert 10 <= n <= 30


def test_answers() -> None:
    assert rules.verdict(204) is rules.Verdict.delivered
    assert rules.verdict(None) is rules.Verdict.retry
    assert rules.verdict(503) is rules.Verdict.retry
    assert rules.verdict(429) is rules.Verdict.retry
    assert rules.verdict(410) is rules.Verdict.gone
    assert rules.verdict(400) is rules.Verdict.failed
