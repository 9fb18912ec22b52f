"""The web front's figures: how long a signed-in session lasts, and its cookies."""

from datetime import timedelta

#: A session ends this long after sign-in, counted on the wall clock (never the sandbox
#: clock: moving the sandbox clock by a month must not sign the operator out). A working
#: day: the sandbox is a teaching and testing tool, used in sittings.
SESSION_LIFETIME = timedelta(hours=8)

#: Each area has its own cookie, scoped to its path, so a person may have the portal and the
#: console open side by side (the console's operator opening a persona's portal).
PORTAL_COOKIE = "cf_portal"
CONSOLE_COOKIE = "cf_console"
#: The sign-in forms' own token (double-submit: this cookie and the form's field must match),
#: since there is no session yet to keep it in.
SIGN_IN_COOKIE = "cf_sign_in"

#: The days the console offers to move the sandbox clock by: a business week, the FCRA 611
#: answer deadline (30 days) and its extended form (45 days), and a year.
ADVANCE_CHOICES = (1, 5, 30, 45, 365)
