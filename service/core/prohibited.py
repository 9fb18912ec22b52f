"""Data categories Clearfile may never hold: the file keeps financial data only.

A field name that names one of these categories is rejected wherever data enters, with
the ``prohibited-data-category`` problem naming the field and the category. Request
models forbid unknown fields anyway; this table makes the refusal say *why*.
"""

import re

#: category -> words that, as a whole field-name token sequence, name it.
PROHIBITED_CATEGORIES: dict[str, tuple[str, ...]] = {
    "location or movement": (
        "location",
        "gps",
        "latitude",
        "longitude",
        "lat",
        "lng",
        "geolocation",
        "coordinates",
        "movement",
        "movements",
        "travel_history",
        "whereabouts",
        "cell_tower",
        "check_ins",
    ),
    "online activity": (
        "browsing_history",
        "search_history",
        "online_activity",
        "ip_address",
        "clicks",
        "web_history",
        "app_usage",
        "device_id",
        "cookies",
    ),
    "social connections": (
        "social_connections",
        "friends",
        "contacts",
        "followers",
        "social_graph",
        "social_media",
        "relatives",
        "associates",
    ),
    "speech or opinions": ("speech", "opinions", "posts", "messages", "comments", "views"),
    "political affiliation": ("political_affiliation", "politics", "party", "vote", "voting"),
    "religious affiliation": ("religion", "religious_affiliation", "faith", "church"),
    "health": (
        "health",
        "medical",
        "medical_history",
        "diagnosis",
        "disability",
        "pregnancy",
        "health_status",
        "medications",
    ),
    "biometrics": (
        "biometrics",
        "biometric",
        "fingerprint",
        "face",
        "face_image",
        "voiceprint",
        "retina",
        "dna",
    ),
    "criminal records": (
        "criminal_record",
        "criminal_records",
        "arrests",
        "convictions",
        "police_record",
    ),
    "race or colour": ("race", "ethnicity", "colour", "color", "skin_colour", "skin_color"),
    "national origin": (
        "national_origin",
        "nationality",
        "citizenship",
        "immigration_status",
        "country_of_birth",
        "foreign_worker",
        "foreigner",
        "native_country",
    ),
    "sex": ("sex", "gender", "sexual_orientation"),
    "marital status": (
        "marital",
        "marital_status",
        "marriage",
        "married",
        "spouse",
        "partner",
        "civil_status",
    ),
    "age": ("age", "age_years", "date_of_birth", "birth_date", "birthdate", "year_of_birth", "dob"),
    "receipt of public assistance": (
        "public_assistance",
        "welfare",
        "benefits",
        "food_stamps",
        "social_security_income",
    ),
}

#: Financial uses of a word that, alone, names a prohibited category: the age of an account
#: is not the age of a person. A run of words listed here is skipped before the lookup.
FINANCIAL_PHRASES: tuple[str, ...] = (
    "account_age",
    "accounts_age",
    "age_of_account",
    "age_of_accounts",
    "age_of_oldest_account",
    "credit_age",
    "loan_age",
    "trade_age",
    "trade_line_age",
    "tradeline_age",
)

_LOOKUP: dict[str, str] = {
    word: category for category, words in PROHIBITED_CATEGORIES.items() for word in words
}


def _normalise(name: str) -> str:
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return re.sub(r"[^a-z0-9]+", "_", snake.lower()).strip("_")


def prohibited_category(field_name: str) -> str | None:
    """The prohibited category a field name names, or None.

    Matches the whole name or any run of its words, so ``gps_location``,
    ``customerEthnicity``, ``age_in_years`` and ``personal_status_and_sex`` are recognised,
    once the runs of ``FINANCIAL_PHRASES`` (``average_account_age_months``) are set aside. The
    API checks only names outside a request's schema; ``clearfile model fit`` checks every
    column of its CSV, the target too.
    """
    tokens = _normalise(field_name).split("_")
    for phrase in sorted(FINANCIAL_PHRASES, key=lambda p: -p.count("_")):
        words = phrase.split("_")
        for start in range(len(tokens) - len(words) + 1):
            if tokens[start : start + len(words)] == words:
                tokens[start : start + len(words)] = [""] * len(words)
    for size in range(len(tokens), 0, -1):
        for start in range(len(tokens) - size + 1):
            category = _LOOKUP.get("_".join(tokens[start : start + size]))
            if category is not None:
                return category
    return None
