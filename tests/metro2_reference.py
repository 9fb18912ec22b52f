"""The validator as it was before it read base segments as columns: every base segment
checked alone, its trailer counts and its account tallied as it goes. The tests compare the
column-wise validator's report with this one's."""

from collections import Counter

from service.metro2 import validator
from service.metro2.reader import Metro2File
from service.metro2.validator import Report


def check_record_by_record(parsed: Metro2File) -> Report:
    out = list(parsed.problems)
    created = validator.check_header(parsed.header, out)
    counts: Counter[str] = Counter()
    for base in parsed.bases:
        validator.check_base(base, out, created)
        validator.tally(base.text, base.segments, counts)
        ident, account = validator.account_key(base.text)
        key = "account:" + ident + "|" + account
        counts[key] += 1
        if counts[key] == 2:
            validator.duplicate(base, out)
    validator.check_trailer(parsed.trailer, counts, len(parsed.bases), out)
    out.sort(key=lambda p: p.record)
    return Report(records=len(parsed.bases) + 2, base_records=len(parsed.bases), problems=out)
