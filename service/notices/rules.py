"""What a notice must say, with the figures and citations of each rule."""

from datetime import date, timedelta

from schemas.notices import BureauContact, DecisionOutcome

#: FCRA 612(b): after an adverse action the consumer may ask the bureau for a free report
#: within 60 days of the notice.
FREE_REPORT_DAYS = 60

#: FCRA 615(a) and Reg B 1002.9: an adverse action is a refusal, or credit on other terms
#: than asked (a counteroffer the applicant did not accept).
ADVERSE_OUTCOMES = frozenset({DecisionOutcome.declined, DecisionOutcome.counteroffer})

#: FCRA 615(a)(3)(A): the notice names the bureau that supplied the report, with its address
#: and a toll-free number. The sandbox bureau and its contact are fictional.
BUREAU = BureauContact(
    name="Clearfile sandbox bureau (fictional)",
    address="1 Example Plaza, Exampleton, Sandbox County 00000",
    phone="1-800-000-0000 (fictional)",
    email="disclosures@clearfile.example",
    website="https://clearfile.example",
)

#: FCRA 615(a)(3)(B): the bureau did not make the decision and cannot say why it was made.
BUREAU_STATEMENT = (
    f"{BUREAU.name} supplied the report or score the lender used. It did not make this "
    "decision and cannot explain why the lender made it."
)


def free_report_until(notice_day: date) -> date:
    return notice_day + timedelta(days=FREE_REPORT_DAYS)


def is_adverse(outcome: DecisionOutcome) -> bool:
    return outcome in ADVERSE_OUTCOMES
