"""What a form says when pydantic refuses a field, in words a person reads: the same errors
the API's problem document lists (same fields, same refusals), told as what to do rather
than as the validator's message ("Choose a reason", not "Input should be 'not_mine', ...")."""

from collections.abc import Mapping
from typing import Any

#: A field a person answers by choosing (a select, radio buttons or checkboxes): what to do
#: when the choice is missing or not one of the options.
CHOOSE = {
    "reason_code": "Choose a reason",
    "field": "Choose the detail that is wrong",
    "item_type": "Choose an item of your file to dispute",
    "purpose": "Choose a purpose",
    "lender_id": "Choose a lender",
    "scope": "Choose what the lender may read",
    "kind": "Choose a change",
    "account_id": "Choose an account",
    "dispute_id": "Choose a dispute",
}

#: A field a person types into: what to do when it is missing or cannot be read.
ENTER = {
    "description": "Say what is wrong with the item",
    "text": "Write the statement",
    "balance_cents": "Enter the new balance in dollars, like 1250.00",
    "months": "Enter a whole number of months",
    "expires_on": "Enter the day the consent ends",
    "now": "Enter a day",
    "advance_days": "Enter a whole number of days",
    "key": "Enter your key",
}

#: Pydantic's error types that mean "not one of the choices" or "not given".
_CHOICE_TYPES = frozenset(
    {"enum", "literal_error", "missing", "union_tag_invalid", "union_tag_not_found", "none"}
)
#: Pydantic's error types that mean "this is not a number, a date ..." (cannot be read).
_UNREADABLE_PREFIXES = ("int_", "float_", "date", "time", "bool_", "decimal_", "string_type")


def _what_to_do(field: str) -> str:
    return CHOOSE.get(field) or ENTER.get(field) or "Fill this in"


def for_people(field: str, error: Mapping[str, Any]) -> str:
    """The message shown next to ``field`` for one of pydantic's errors."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in _CHOICE_TYPES or kind.endswith("_none") or kind == "none_required":
        return _what_to_do(field)
    if kind == "string_too_short" or (kind == "too_short" and field not in CHOOSE):
        return _what_to_do(field)
    if kind == "too_short":
        return CHOOSE[field]
    if kind == "string_too_long":
        return f"Keep it to {ctx.get('max_length')} characters or fewer"
    if kind == "too_long":
        return f"Choose at most {ctx.get('max_length')}"
    if kind == "greater_than_equal":
        return f"Enter {ctx.get('ge')} or more"
    if kind == "less_than_equal":
        return f"Enter {ctx.get('le')} or less"
    if kind.startswith(_UNREADABLE_PREFIXES):
        return ENTER.get(field) or CHOOSE.get(field) or "Enter it in the form shown"
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    return message[:1].upper() + message[1:] if message else _what_to_do(field)
