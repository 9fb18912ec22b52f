"""Small fictional Metro 2 files for the tests, written with the project's own writer."""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from service.metro2.writer import BaseOut, render_file

HEADER: dict[str, Any] = {
    "activityDate": date(2026, 11, 1),
    "dateCreated": date(2026, 11, 2),
    "reporterName": "FICTIONAL TEST FURNISHER",
    "reporterAddress": "1 TEST LANE, EXAMPLETON",
}

#: A current credit card of a fictional person (national id 000-12-3456): every rule holds.
CARD: dict[str, Any] = {
    "processingIndicator": 1,
    "correctionIndicator": 0,
    "identificationNumber": "FURNISHER01",
    "consumerAccountNumber": "CARD-0001",
    "portfolioType": "R",
    "accountType": "18",
    "dateOpened": date(2020, 1, 5),
    "creditLimit": 5000,
    "termsDuration": "REV",
    "termsFrequency": "M",
    "accountStatus": "11",
    "paymentHistoryProfile": "000000000000BBBBBBBBBBBB",
    "currentBalance": 450,
    "amountPastDue": 0,
    "dateAccountInformation": date(2026, 11, 1),
    "surname": "TESTER",
    "firstName": "ADA",
    "socialSecurityNumber": 123456,
    "dateBirth": date(1985, 4, 12),
    "ecoaCode": "1",
    "firstLineAddress": "1 SANDBOX WAY",
    "city": "EXAMPLETON",
    "state": "ZZ",
    "zipCode": "00001",
}


def metro2_file(
    bases: Sequence[Mapping[str, Any]], header: Mapping[str, Any] | None = None
) -> bytes:
    return render_file(header or HEADER, [BaseOut(b) for b in bases])
