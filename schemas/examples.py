"""Example documents for the OpenAPI description (fictional data, like everything here)."""

from typing import Any

AT = "2026-11-15T12:00:00Z"

ACCOUNT_VERSION: dict[str, Any] = {
    "version": 1,
    "at": AT,
    "actor_id": "fur_sandbox_card_bank",
    "actor_role": "furnisher",
    "actor_name": "Sandbox Card Bank (fictional)",
    "changed": ["balance_cents"],
    "fields": {"balance_cents": 125000, "status": "11"},
}

ACCOUNT: dict[str, Any] = {
    "id": "acc_5f0c3a9e1b2d4c6e8a7f",
    "account_ref": "CARD-0001",
    "subject_id": "sub_sandbox_ada_testwell",
    "furnisher": {"id": "fur_sandbox_card_bank", "name": "Sandbox Card Bank (fictional)"},
    "account_type": "revolving",
    "opened_on": "2009-03-01",
    "credit_limit_cents": 500000,
    "original_amount_cents": None,
    "balance_cents": 125000,
    "past_due_cents": 0,
    "status": "11",
    "status_text": "Current",
    "payment_history": "000000000000000000000000",
    "date_of_first_delinquency": None,
    "closed_on": None,
    "as_of": "2026-10-31",
    "compliance_condition_code": None,
    "disputed": False,
    "obsolete_on": None,
    "version": 1,
    "updated_at": AT,
    "versions": [ACCOUNT_VERSION],
}

ACCESS_LOG_ENTRY: dict[str, Any] = {
    "id": 42,
    "actor_id": "sub_sandbox_ada_testwell",
    "actor_role": "subject",
    "actor_name": "Ada Testwell",
    "action": "report.read",
    "purpose": "subject_access",
    "resource_type": "report",
    "resource_id": "sub_sandbox_ada_testwell",
    "at": AT,
}

AUDIT_EVENT: dict[str, Any] = {
    **ACCESS_LOG_ENTRY,
    "chain": "sub_sandbox_ada_testwell",
    "seq": 7,
    "subject_id": "sub_sandbox_ada_testwell",
    "prev_hash": "9f2c" + "0" * 60,
    "hash": "a41b" + "0" * 60,
}

REPORT: dict[str, Any] = {
    "subject": {
        "id": "sub_sandbox_ada_testwell",
        "given_name": "Ada",
        "family_name": "Testwell",
        "date_of_birth": "1984-06-02",
        "national_id": "000-99-0001",
        "addresses": [
            {
                "line1": "1 Sandbox Way",
                "city": "Exampleton",
                "postal_code": "00001",
                "country": "US",
            }
        ],
    },
    "generated_at": AT,
    "accounts": [ACCOUNT],
    "inquiries": [
        {
            "id": "inq_1a2b3c4d5e6f7a8b9c0d",
            "lender_id": "len_sandbox_demo_lender",
            "lender_name": "Demo Lender (fictional)",
            "purpose": "credit_application",
            "kind": "hard",
            "at": "2026-09-01T10:00:00Z",
            "obsolete_on": "2028-09-01",
        }
    ],
    "public_records": [],
    "statements": [],
    "disputes": [],
    "consents": [],
    "freeze": None,
    "fraud_alerts": [],
    "sources": [
        {
            "id": "fur_sandbox_card_bank",
            "name": "Sandbox Card Bank (fictional)",
            "role": "furnisher",
            "supplied": ["accounts"],
        },
        {
            "id": "len_sandbox_demo_lender",
            "name": "Demo Lender (fictional)",
            "role": "lender",
            "supplied": ["inquiries"],
        },
    ],
}

EXPORT: dict[str, Any] = {
    "schema_version": "1.0",
    "exported_at": AT,
    "report": REPORT,
    "access_log": [ACCESS_LOG_ENTRY],
}


def examples(value: dict[str, Any]) -> dict[str, Any]:
    """``json_schema_extra`` that publishes one example."""
    return {"examples": [value]}
