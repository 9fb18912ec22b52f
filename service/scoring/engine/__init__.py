"""The pure scorer: file inputs, characteristics, scorecards, scoring, explanation, recourse.

No database, no ORM, no clock and no other service code: these modules are functions of the
file, the day and the model, so the same file, day and model always give the same score.
"""
