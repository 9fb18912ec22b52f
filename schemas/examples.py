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


# --- consent, lending and notices (made by the sandbox itself, then trimmed) -----------------

CONSENT: dict[str, Any] = {
    "id": "cns_b95e4f6fdafc270eaa26",
    "subject_id": "sub_sandbox_percy_pastdue",
    "lender_id": "len_sandbox_bank",
    "lender_name": "Sandbox Bank (fictional)",
    "purpose": "credit_application",
    "scope": ["report", "score"],
    "explicit_confirmation": False,
    "granted_at": "2026-11-30T12:00:00Z",
    "expires_on": "2027-05-30",
    "revoked_at": None,
    "state": "active",
}

CONSENT_RECEIPT: dict[str, Any] = {
    "schema_version": "1.0",
    "record_id": "cns_b95e4f6fdafc270eaa26",
    "receipt_issued_at": "2026-11-30T12:00:00Z",
    "pii_principal": {
        "id": "sub_sandbox_percy_pastdue",
        "name": "Percy Pastdue",
        "role": "data subject",
    },
    "pii_controller": {
        "id": "clearfile",
        "name": "Clearfile sandbox bureau (fictional)",
        "role": "controller",
    },
    "recipients": [
        {"id": "len_sandbox_bank", "name": "Sandbox Bank (fictional)", "role": "lender"}
    ],
    "purposes": [
        {
            "purpose": "credit_application",
            "description": "Deciding on an application for credit",
            "legal_basis": [
                "FCRA 604(a)(3)(A): a credit transaction the consumer applied for",
                "GDPR 6(1)(a) and 7: the data subject's consent, withdrawable at any time",
            ],
            "pii_categories": [
                "identity (name, date of birth, addresses, last four digits of the national id)",
                "accounts as furnished, with their compliance condition codes",
                "hard inquiries",
                "public records (bankruptcies)",
                "fraud alerts",
                "credit score, its model version and range",
                "the score's factors and key reasons",
            ],
            "processing": [
                "disclosure of the report to the recipient",
                "disclosure of the score to the recipient",
            ],
            "explicit": False,
        }
    ],
    "consent_given_at": "2026-11-30T12:00:00Z",
    "consent_expires_at": "2027-05-30T00:00:00Z",
    "withdrawn_at": None,
    "state": "active",
    "withdrawal_method": "Send DELETE /v1/me/consents/cns_b95e4f6fdafc270eaa26 with your "
    "key, or use the portal: the consent ends at once, and every later "
    "read under it is refused.",
    "lifecycle": [{"state": "active", "at": "2026-11-30T12:00:00Z"}],
}

FREEZE: dict[str, Any] = {
    "frozen": True,
    "placed_at": "2026-11-30T12:00:00Z",
    "lifted_at": None,
    "refuses": ["credit_application", "prequalification"],
}

FRAUD_ALERT: dict[str, Any] = {
    "id": "fra_ac669766a7495d119f1c",
    "kind": "initial",
    "placed_at": "2026-11-30T12:00:00Z",
    "expires_on": "2027-11-30",
    "removed_at": None,
    "active": True,
}

LENDER_REPORT: dict[str, Any] = {
    "subject_id": "sub_sandbox_percy_pastdue",
    "consent_id": "cns_b95e4f6fdafc270eaa26",
    "purpose": "credit_application",
    "inquiry_id": "inq_508c7b7ae8597dcbcba4",
    "inquiry_kind": "hard",
    "verify_identity": True,
    "fraud_alert": {
        "kind": "initial",
        "expires_on": "2027-11-30",
        "action": "verify identity",
        "text": "The subject has placed a fraud alert: verify the applicant's "
        "identity before extending credit, opening an account or "
        "raising a limit (FCRA 605A(h)).",
    },
    "generated_at": "2026-11-30T12:00:00Z",
    "subject": {
        "given_name": "Percy",
        "family_name": "Pastdue",
        "date_of_birth": "1987-11-18",
        "addresses": [
            {
                "line1": "4 Sandbox Way",
                "city": "Exampleton",
                "region": "Sandbox County",
                "postal_code": "00004",
                "country": "US",
            }
        ],
        "national_id_last4": "0004",
    },
    "accounts": [
        {
            "id": "acc_5e4e6373e6dfabd0b503",
            "account_ref": "PERCY-STUDENT-1",
            "furnisher": {
                "id": "fur_sandbox_student_loans",
                "name": "Sandbox Student Loan Servicing (fictional)",
            },
            "account_type": "installment",
            "opened_on": "2017-11-30",
            "credit_limit_cents": None,
            "original_amount_cents": 3500000,
            "balance_cents": 1620000,
            "past_due_cents": 62000,
            "status": "78",
            "status_text": "60-89 days past due",
            "payment_history": "210000000000000000000000",
            "date_of_first_delinquency": "2026-09-20",
            "closed_on": None,
            "as_of": "2026-11-30",
            "compliance_condition_code": None,
            "disputed": False,
        }
    ],
    "inquiries": [],
    "public_records": [],
}

LENDER_SCORE: dict[str, Any] = {
    "score": 535,
    "model_version": "cf-2026.11",
    "receipt_id": "rcp_9cbd08dd34ca1d4d41a8",
    "computed_at": "2026-11-30T12:00:00Z",
    "scored_on": "2026-11-30",
    "score_range": {"min": 300, "max": 850},
    "reasons": [
        {
            "code": "U01",
            "text": "Balances on revolving accounts are high relative to their limits",
            "characteristic": "revolving_utilisation_pct",
            "points_below_max": 111,
        },
        {
            "code": "P02",
            "text": "Number of payments 30 or more days late in the last 24 months",
            "characteristic": "lates_30plus_24m",
            "points_below_max": 68,
        },
        {
            "code": "H01",
            "text": "Length of credit history: the oldest account is recent",
            "characteristic": "oldest_account_months",
            "points_below_max": 39,
        },
        {
            "code": "U02",
            "text": "Number of accounts carrying a balance",
            "characteristic": "accounts_with_balance",
            "points_below_max": 22,
        },
        {
            "code": "C01",
            "text": "Number of credit applications (hard inquiries) in the last 12 months",
            "characteristic": "hard_inquiries_12m",
            "points_below_max": 19,
        },
    ],
    "factors": [
        {
            "characteristic": "worst_delinquency_24m",
            "title": "Worst delinquency",
            "value": 3,
            "bin": "[1, 6)",
            "points": 57,
            "max_points": 67,
            "points_below_max": 10,
        },
        {
            "characteristic": "lates_30plus_24m",
            "title": "30+ day late payments",
            "value": 6,
            "bin": "[5, inf)",
            "points": 9,
            "max_points": 77,
            "points_below_max": 68,
        },
    ],
    "no_score_reasons": [],
    "subject_id": "sub_sandbox_percy_pastdue",
    "consent_id": "cns_b95e4f6fdafc270eaa26",
    "purpose": "credit_application",
    "inquiry_id": "inq_d1e4d952eef783d74d3b",
    "inquiry_kind": "hard",
    "verify_identity": True,
    "fraud_alert": {
        "kind": "initial",
        "expires_on": "2027-11-30",
        "action": "verify identity",
        "text": "The subject has placed a fraud alert: verify the applicant's "
        "identity before extending credit, opening an account or "
        "raising a limit (FCRA 605A(h)).",
    },
}

DECISION: dict[str, Any] = {
    "id": "dec_aa87494e8bfde99ed315",
    "subject_id": "sub_sandbox_percy_pastdue",
    "consent_id": "cns_b95e4f6fdafc270eaa26",
    "receipt_id": "rcp_9cbd08dd34ca1d4d41a8",
    "outcome": "declined",
    "decided_at": "2026-11-30T12:00:00Z",
    "notice_id": "ntc_28afc3d1a929a8882051",
}

NOTICE: dict[str, Any] = {
    "id": "ntc_28afc3d1a929a8882051",
    "kind": "adverse_action",
    "at": "2026-11-30T12:00:00Z",
    "subject_id": "sub_sandbox_percy_pastdue",
    "title": "Adverse action: Sandbox Bank (fictional) declined your application",
    "summary": "On 2026-11-30 Sandbox Bank (fictional) declined your application, using a "
    "score of 535 on a range of 300 to 850 from Clearfile sandbox bureau "
    "(fictional).",
    "lender_id": "len_sandbox_bank",
    "lender_name": "Sandbox Bank (fictional)",
    "decision_id": "dec_aa87494e8bfde99ed315",
    "outcome": "declined",
    "score": 535,
    "score_range": {"min": 300, "max": 850},
    "model_version": "cf-2026.11",
    "receipt_id": "rcp_9cbd08dd34ca1d4d41a8",
    "scored_on": "2026-11-30",
    "key_factors": [
        {
            "code": "U01",
            "text": "Balances on revolving accounts are high relative to their limits",
            "characteristic": "revolving_utilisation_pct",
            "points_below_max": 111,
        },
        {
            "code": "P02",
            "text": "Number of payments 30 or more days late in the last 24 months",
            "characteristic": "lates_30plus_24m",
            "points_below_max": 68,
        },
        {
            "code": "H01",
            "text": "Length of credit history: the oldest account is recent",
            "characteristic": "oldest_account_months",
            "points_below_max": 39,
        },
        {
            "code": "U02",
            "text": "Number of accounts carrying a balance",
            "characteristic": "accounts_with_balance",
            "points_below_max": 22,
        },
        {
            "code": "C01",
            "text": "Number of credit applications (hard inquiries) in the last 12 months",
            "characteristic": "hard_inquiries_12m",
            "points_below_max": 19,
        },
    ],
    "no_score_reasons": [],
    "bureau": {
        "name": "Clearfile sandbox bureau (fictional)",
        "address": "1 Example Plaza, Exampleton, Sandbox County 00000",
        "phone": "1-800-000-0000 (fictional)",
        "email": "disclosures@clearfile.example",
        "website": "https://clearfile.example",
    },
    "bureau_statement": "Clearfile sandbox bureau (fictional) supplied the report or score "
    "the lender used. It did not make this decision and cannot explain "
    "why the lender made it.",
    "rights": [
        {
            "right": "free_report",
            "text": "You may get a free copy of your report from the bureau if you ask "
            "within 60 days of this notice (FCRA 612(b)).",
            "until": "2027-01-29",
            "how": "GET /v1/me/report, or contact the bureau",
        },
        {
            "right": "dispute",
            "text": "You may dispute with the bureau the accuracy or completeness of "
            "anything in your report (FCRA 611).",
            "until": None,
            "how": "POST /v1/me/disputes, or contact the bureau",
        },
    ],
}


# --- disputes (made by the sandbox itself) ----------------------------------------------------

DISPUTE: dict[str, Any] = {
    "id": "dsp_26d61a0bb7ff644a5ac2",
    "subject_id": "sub_sandbox_percy_pastdue",
    "item_type": "account",
    "item_id": "acc_df5feba631236e15fe7e",
    "field": "status",
    "reason_code": "wrong_status",
    "description": "The issuer agreed to pause my payments while I was in hospital.",
    "status": "open",
    "outcome": None,
    "filed_at": "2026-11-30T12:00:00Z",
    "due_at": "2026-12-30T12:00:00Z",
    "days_left": 30,
    "furnisher_id": "fur_sandbox_card_co",
    "furnisher_notice_due_on": "2026-12-07",
    "block_due_at": None,
    "information": [],
    "resolved_at": None,
    "resolution": None,
    "repeats": None,
}

FURNISHER_DISPUTE: dict[str, Any] = {
    "id": "dsp_26d61a0bb7ff644a5ac2",
    "account_id": "acc_df5feba631236e15fe7e",
    "account_ref": "PERCY-CARD-1",
    "field": "status",
    "reason_code": "wrong_status",
    "description": "The issuer agreed to pause my payments while I was in hospital.",
    "information": [],
    "status": "open",
    "outcome": None,
    "filed_at": "2026-11-30T12:00:00Z",
    "due_at": "2026-12-30T12:00:00Z",
    "block_due_at": None,
    "resolved_at": None,
}

STATEMENT: dict[str, Any] = {
    "id": "stm_f4b4c5e3f96c9fa4f953",
    "dispute_id": "dsp_26d61a0bb7ff644a5ac2",
    "item_type": "account",
    "item_id": "acc_df5feba631236e15fe7e",
    "text": "The issuer agreed to pause my payments while I was in hospital in August.",
    "at": "2026-11-30T12:00:00Z",
}

DISPUTE_STATS: dict[str, Any] = {
    "as_of": "2026-11-30T12:00:00Z",
    "open": 0,
    "resolved": {"verified": 1, "modified": 0, "deleted": 0, "unverified": 0, "blocked": 0},
    "frivolous": 0,
    "median_days_to_resolve": 0.0,
    "overdue": 0,
}


def examples(value: dict[str, Any]) -> dict[str, Any]:
    """``json_schema_extra`` that publishes one example."""
    return {"examples": [value]}


EVENT: dict[str, Any] = {
    "id": "evt_4be1f0c2a9d35e6f7a81",
    "type": "dispute.opened",
    "at": AT,
    "resource_type": "dispute",
    "resource_id": "dsp_0b1c2d3e4f5a6b7c8d9e",
    "data": {
        "dispute_id": "dsp_0b1c2d3e4f5a6b7c8d9e",
        "item_type": "account",
        "item_id": "acc_5f0c3a9e1b2d4c6e8a7f",
        "status": "open",
        "outcome": None,
        "account_ref": "IVY-AUTO-1",
    },
}

WEBHOOK_ENDPOINT: dict[str, Any] = {
    "id": "whe_7d1e2f3a4b5c6d7e8f90",
    "url": "http://127.0.0.1:9000/hooks",
    "event_types": ["dispute.opened", "dispute.resolved"],
    "description": "Our dispute desk (fictional)",
    "enabled": True,
    "disabled_reason": None,
    "disabled_at": None,
    "created_at": AT,
    "previous_secret_expires_at": None,
}

WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a made-up example

WEBHOOK_DELIVERY: dict[str, Any] = {
    "id": "whd_1a2b3c4d5e6f7a8b9c0d",
    "event_id": "evt_4be1f0c2a9d35e6f7a81",
    "event_type": "dispute.opened",
    "status": "delivered",
    "attempts": [
        {
            "number": 1,
            "at": AT,
            "status_code": 204,
            "latency_ms": 3,
            "error": None,
            "response_excerpt": None,
        }
    ],
    "next_attempt_at": None,
    "created_at": AT,
}
