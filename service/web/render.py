"""Pages from templates: the Jinja2 environment, the filters that format for people, and the
score chart drawn as SVG on the server (readable with no script at all)."""

import functools
import re
from collections.abc import Sequence
from datetime import date, datetime
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from schemas.furnishing import AccountRead
from schemas.scoring import FactorRead
from service.core.cache import LruCache

#: What each payment history character means (Metro 2 payment history profile).
PAYMENT_CODES = {
    "0": ("on time", "ok"),
    "E": ("on time, zero balance", "ok"),
    "1": ("30-59 days late", "late"),
    "2": ("60-89 days late", "late"),
    "3": ("90-119 days late", "bad"),
    "4": ("120-149 days late", "bad"),
    "5": ("150-179 days late", "bad"),
    "6": ("180 days or more late", "bad"),
    "G": ("collection", "bad"),
    "L": ("charged off", "bad"),
    "B": ("no earlier history", "none"),
    "D": ("no data", "none"),
}

#: A dispute's reason as the subject says it (the API's reason codes, for people).
REASONS = {
    "not_mine": "It is not mine",
    "identity_theft": "It came from identity theft",
    "wrong_balance": "The balance is wrong",
    "wrong_status": "The status is wrong",
    "paid": "It is paid",
    "duplicate": "It is listed twice",
    "obsolete": "It is too old to be listed",
    "other": "Something else",
}

#: What became of a dispute, for people.
OUTCOMES = {
    "verified": "the furnisher verified the item as reported",
    "modified": "the furnisher corrected the item",
    "deleted": "the furnisher deleted the item",
    "unverified": "not answered in time, so the item was removed",
    "blocked": "blocked as identity theft",
}

#: An item that is no longer on the file, named by its kind.
GONE_ITEMS = {
    "account": "An account no longer on your file",
    "inquiry": "An inquiry no longer on your file",
    "public_record": "A public record no longer on your file",
    "identity": "My identity details",
}

#: An item of the file as a sentence names it.
ITEM_KINDS = {
    "account": "an account",
    "inquiry": "an inquiry",
    "public_record": "a public record",
    "identity": "your identity details",
}

_MONTHS = (
    "January February March April May June July August September October November December"
).split()


def money(cents: int | None) -> str:
    """Integer cents as dollars for people: 123456 -> $1,234.56."""
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{part:02d}"


def day(value: date | datetime | None) -> str:
    """A date for people: 3 March 2027."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.date()
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def moment(value: datetime | None) -> str:
    """A moment for people: 3 March 2027, 14:05 UTC."""
    if value is None:
        return "—"
    return f"{day(value)}, {value:%H:%M} UTC"


def words(value: Any) -> str:
    """An enum value for people: credit_application -> credit application (and the law's
    acronym in capitals: fcra_611 -> FCRA 611)."""
    text = str(getattr(value, "value", value)).replace("_", " ")
    return "FCRA" + text[4:] if text.startswith("fcra ") else text


#: Furnished fields whose API names read oddly to a person.
FIELD_NAMES = {"as_of": "date reported", "date_of_first_delinquency": "first missed payment"}


def field_name(name: str) -> str:
    """A furnished field's name for people: balance_cents -> balance."""
    return FIELD_NAMES.get(name) or words(name.removesuffix("_cents"))


def action(name: str) -> str:
    """An audit action for people: report.read -> report read."""
    return name.replace(".", " ").replace("_", " ")


_INTERVAL = re.compile(r"^([\[(])\s*(-?inf|-?[\d.]+)\s*,\s*(-?inf|-?[\d.]+)\s*([\])])$")


def bin_words(value: str) -> str:
    """A characteristic's bin for people: [2, 3) -> 2, (-inf, 1) -> under 1,
    [87, 98) -> 87 to under 98, [5, inf) -> 5 or more; a category in words."""
    found = _INTERVAL.match(value.strip())
    if found is None:
        return words(value)
    opening, low, high, closing = found.groups()
    if "inf" in low and "inf" in high:
        return "any"
    if "inf" in low:
        return f"{'up to' if closing == ']' else 'under'} {high}"
    if "inf" in high:
        return f"{low} or more" if opening == "[" else f"over {low}"
    whole = low.lstrip("-").isdigit() and high.lstrip("-").isdigit()
    if whole and opening == "[" and closing == ")" and int(high) == int(low) + 1:
        return low
    start = low if opening == "[" else f"over {low}"
    return f"{start} to {'' if closing == ']' else 'under '}{high}"


def value_words(value: Any) -> str:
    """A characteristic's value for people: none as a dash, a fraction to one decimal."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return words(value)


def reason(value: Any) -> str:
    """A dispute reason code as the subject would say it."""
    code = str(getattr(value, "value", value))
    return REASONS.get(code, words(code))


def outcome(value: Any) -> str:
    """A dispute outcome as a sentence's end: what became of the disputed item."""
    code = str(getattr(value, "value", value))
    return OUTCOMES.get(code, words(code))


def months_back(as_of: date, count: int) -> list[str]:
    """The month names of a payment history strip, newest first, from its as-of date."""
    out = []
    year, month = as_of.year, as_of.month
    for _ in range(count):
        out.append(f"{_MONTHS[month - 1][:3]} {year}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out


def payment_strip(history: str, as_of: date) -> list[dict[str, str]]:
    """The 24-month strip's cells, newest first: month, code, meaning and tone."""
    labels = months_back(as_of, len(history))
    cells = []
    for label, code in zip(labels, history, strict=True):
        meaning, tone = PAYMENT_CODES.get(code, ("unknown", "none"))
        cells.append({"month": label, "code": code, "meaning": meaning, "tone": tone})
    return cells


#: The chart's geometry, in SVG user units (it scales to its container).
_CHART_WIDTH = 760
_LABEL_WIDTH = 330
_BAR_HEIGHT = 22
_ROW_GAP = 12


def factor_chart(factors: Sequence[FactorRead]) -> Markup:
    """Each characteristic's points against its maximum, as horizontal bars: an outline for
    the maximum and a filled bar for the points earned, labelled in text."""
    if not factors:
        return Markup("")
    top = max(max(f.max_points for f in factors), 1)
    bar_space = _CHART_WIDTH - _LABEL_WIDTH - 90
    row = _BAR_HEIGHT + _ROW_GAP
    height = row * len(factors) + _ROW_GAP
    parts = [
        f'<svg class="chart" viewBox="0 0 {_CHART_WIDTH} {height}" role="img" '
        f'aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-title">Points earned against the most each characteristic can '
        "give</title>",
    ]
    for i, f in enumerate(factors):
        y = _ROW_GAP + i * row
        full = round(bar_space * max(f.max_points, 0) / top)
        got = round(bar_space * max(min(f.points, f.max_points), 0) / top)
        label = escape(f.title)
        parts.append(
            f'<text x="0" y="{y + 16}" class="chart-label">{label}</text>'
            f'<rect x="{_LABEL_WIDTH}" y="{y}" width="{full}" height="{_BAR_HEIGHT}" '
            'class="chart-max" />'
            f'<rect x="{_LABEL_WIDTH}" y="{y}" width="{got}" height="{_BAR_HEIGHT}" '
            'class="chart-points" />'
            f'<text x="{_LABEL_WIDTH + full + 6}" y="{y + 16}" class="chart-value">'
            f"{f.points} / {f.max_points}</text>"
        )
    parts.append("</svg>")
    # Every text in it was escaped above; the rest is numbers.
    return Markup("".join(parts))  # noqa: S704


#: How many rendered account cards are kept (each a few kilobytes): the same bound as the
#: furnishing domain's cache of account views, whose entries these are drawn from.
ACCOUNT_CARDS_MAX = 10_000

_ACCOUNT_CARDS: LruCache[tuple[Any, ...], Markup] = LruCache(ACCOUNT_CARDS_MAX)


def account_card(account: AccountRead) -> Markup:
    """An account's card on My file, drawn once per state of the account. Every furnished
    field the card shows changes the account's version (a write of any makes a new one);
    the rest (dispute flag, compliance code, the furnisher's name, the day it leaves the
    file, the versions' count) is in the key too."""
    key = (
        account.id,
        account.version,
        len(account.versions),
        account.updated_at,
        account.disputed,
        account.compliance_condition_code,
        account.obsolete_on,
        account.furnisher.name,
    )
    card = _ACCOUNT_CARDS.get(key)
    if card is None:
        card = Markup(environment().get_template("portal/_account.html").render(a=account))  # noqa: S704 - autoescaped template
        _ACCOUNT_CARDS.put(key, card)
    return card


def account_cards(accounts: Sequence[AccountRead]) -> Markup:
    """Every account's card, joined here rather than one by one in the template (a page of
    20 accounts is drawn in one piece)."""
    return Markup("".join([account_card(a) for a in accounts]))  # noqa: S704 - cards are Markup


@functools.cache
def environment() -> Environment:
    # The templates ship inside the package and change only with it: no stat of each file
    # on every page (auto_reload), and no bytecode cache needed beyond the loaded templates.
    env = Environment(
        loader=PackageLoader("service.web", "templates"),
        auto_reload=False,
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=money,
        day=day,
        moment=moment,
        words=words,
        reason=reason,
        outcome=outcome,
        field_name=field_name,
        action=action,
        bin_words=bin_words,
        value_words=value_words,
    )
    env.globals.update(
        payment_strip=payment_strip,
        factor_chart=factor_chart,
        account_cards=account_cards,
        gone_items=GONE_ITEMS,
        item_kinds=ITEM_KINDS,
    )
    return env


def page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = environment().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code)


@functools.cache
def static_file(name: str) -> bytes:
    return (resources.files("service.web") / "static" / name).read_bytes()
