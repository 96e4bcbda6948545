"""Rights over issued certificates: transfers, pledges, freezes, cross-border records, licences.

:mod:`.service` talks to ``TransferAgent`` and ``LicenceRegistry``; :mod:`.odrl` builds and
checks the machine-readable terms (ODRL 2.2) whose hash a licence records.
"""
