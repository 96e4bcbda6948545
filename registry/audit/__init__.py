"""The audit of the SQL mirror against the chain (``dareg audit``, ``GET /api/v1/audit``)."""

from registry.audit.service import AuditService

__all__ = ["AuditService"]
