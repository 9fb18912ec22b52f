"""The web front for people: the subject's portal (``/portal/``) and the sandbox operator's
console (``/console/``), server-rendered pages over the same domain services as the API."""
