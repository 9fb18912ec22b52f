"""The purposes the audit log names, each in one place.

A lender's permissible purposes (FCRA 604) are the ``Purpose`` enum in ``schemas.file``;
these are the purposes of the bureau's own reads and writes.
"""

#: GDPR 15 / FCRA 609: the subject's own access to their file.
SELF_ACCESS = "subject_access"
#: A furnisher (or the sandbox operator) writing or reading furnished data.
FURNISHING = "furnishing"
#: FCRA 605: an item aged off the file.
OBSOLESCENCE = "fcra_605"
#: GDPR 7: the subject granting or withdrawing a consent.
CONSENT = "consent"
#: FCRA 605A: the subject placing or lifting a security freeze or a fraud alert.
FILE_PROTECTION = "fcra_605a"
#: FCRA 615: a lender's adverse action and the notice it sends the subject.
ADVERSE_ACTION = "fcra_615"
#: FCRA 611: a dispute, its reinvestigation and its result.
DISPUTE = "fcra_611"
#: FCRA 605B: an identity-theft block.
IDENTITY_THEFT_BLOCK = "fcra_605b"
