"""The web front's words for people: bins, values, actions, reasons and field names."""

import pytest

from service.web.render import action, bin_words, field_name, reason, value_words, words


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        ("[2, 3)", "2"),
        ("(-inf, 1)", "under 1"),
        ("(-inf, 1]", "up to 1"),
        ("[5, inf)", "5 or more"),
        ("(5, inf)", "over 5"),
        ("[87, 98)", "87 to under 98"),
        ("[7.9, 10.6)", "7.9 to under 10.6"),
        ("(-inf, inf)", "any"),
        ("revolving_and_installment", "revolving and installment"),
    ],
)
def test_a_bin_reads_as_a_range(label: str, shown: str) -> None:
    assert bin_words(label) == shown


def test_values_actions_reasons_and_fields_read_as_words() -> None:
    assert value_words(None) == "—"
    assert value_words(8.4321) == "8.4"
    assert value_words(12000) == "12,000"
    assert value_words("thin_file") == "thin file"
    assert action("account.purged_obsolete") == "account purged obsolete"
    assert reason("not_mine") == "It is not mine"
    assert reason("something_new") == "something new"
    assert field_name("balance_cents") == "balance"
    assert field_name("as_of") == "date reported"
    assert words("fcra_611") == "FCRA 611"
    assert words("fcrab") == "fcrab"
