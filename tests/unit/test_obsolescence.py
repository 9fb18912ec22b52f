"""FCRA 605 obsolescence periods, at their boundaries."""

from datetime import UTC, date, datetime

from service.file.rules import (
    account_obsolete_on,
    account_on_file,
    add_months,
    add_years,
    bankruptcy_obsolete_on,
    inquiry_obsolete_on,
    inquiry_on_file,
    is_obsolete,
    public_record_on_file,
)


def test_positive_account_never_ages_off() -> None:
    assert (
        account_obsolete_on(status="11", account_type="revolving", date_of_first_delinquency=None)
        is None
    )


def test_late_payment_ages_off_seven_years_after_first_delinquency() -> None:
    leaves = account_obsolete_on(
        status="13", account_type="installment", date_of_first_delinquency=date(2018, 3, 10)
    )
    assert leaves == date(2025, 3, 10)
    assert not is_obsolete(leaves, date(2025, 3, 9))
    assert is_obsolete(leaves, date(2025, 3, 10))


def test_collection_and_charge_off_start_180_days_after_first_delinquency() -> None:
    dofd = date(2018, 1, 1)
    expected = date(2025, 6, 30)  # 2018-01-01 + 180 days = 2018-06-30, + 7 years
    for status, kind in (("93", "revolving"), ("97", "revolving"), ("11", "collection")):
        assert (
            account_obsolete_on(status=status, account_type=kind, date_of_first_delinquency=dofd)
            == expected
        )


def test_bankruptcy_ten_years_completed_chapter_13_seven() -> None:
    filed = date(2016, 5, 2)
    assert bankruptcy_obsolete_on(chapter=7, status="discharged", filed_on=filed) == date(
        2026, 5, 2
    )
    assert bankruptcy_obsolete_on(chapter=13, status="discharged", filed_on=filed) == date(
        2023, 5, 2
    )
    assert bankruptcy_obsolete_on(chapter=13, status="filed", filed_on=filed) == date(2026, 5, 2)


def test_inquiries_are_shown_for_24_months() -> None:
    assert inquiry_obsolete_on(datetime(2024, 1, 31, 9, tzinfo=UTC)) == date(2026, 1, 31)


def test_calendar_edges() -> None:
    assert add_years(date(2020, 2, 29), 7) == date(2027, 2, 28)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 3, 15), -24) == date(2023, 3, 15)


# --- on the file: one filter for the report and the batch scorer ---------------------------


def test_an_account_deleted_by_its_furnisher_is_off_the_file() -> None:
    today = date(2026, 11, 26)
    kept = {"account_type": "revolving", "date_of_first_delinquency": None, "today": today}
    assert account_on_file(status="11", **kept)
    assert account_on_file(status="13", **kept)
    assert not account_on_file(status="DA", **kept)


def test_an_adverse_account_leaves_the_file_on_its_obsolescence_day() -> None:
    # A charge-off: 7 years from 180 days after 1 March 2019, i.e. from 28 August 2019.
    first = date(2019, 3, 1)
    fields = {"status": "97", "account_type": "revolving", "date_of_first_delinquency": first}
    assert account_on_file(**fields, today=date(2026, 8, 27))
    assert not account_on_file(**fields, today=date(2026, 8, 28))
    # A 30-day late with the same first delinquency left on 1 March 2026.
    late = {"status": "71", "account_type": "installment", "date_of_first_delinquency": first}
    assert account_on_file(**late, today=date(2026, 2, 28))
    assert not account_on_file(**late, today=date(2026, 3, 1))


def test_an_inquiry_is_on_the_file_for_24_months() -> None:
    at = datetime(2024, 11, 26, 23, 30, tzinfo=UTC)
    assert inquiry_on_file(at=at, today=date(2026, 11, 25))
    assert not inquiry_on_file(at=at, today=date(2026, 11, 26))


def test_a_bankruptcy_is_on_the_file_until_it_is_obsolete() -> None:
    filed = date(2016, 5, 10)
    chapter_7 = {"chapter": 7, "status": "discharged", "filed_on": filed}
    assert public_record_on_file(**chapter_7, today=date(2026, 5, 9))
    assert not public_record_on_file(**chapter_7, today=date(2026, 5, 10))
    chapter_13 = {"chapter": 13, "status": "discharged", "filed_on": filed}
    assert public_record_on_file(**chapter_13, today=date(2023, 5, 9))
    assert not public_record_on_file(**chapter_13, today=date(2023, 5, 10))
