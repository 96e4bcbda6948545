"""Request (``XCreate``) and response (``XPublic``) bodies of the REST API, one module per
resource (``api.schemas.registration``, ``.rights``, ``.valuation``, …, with the shared pieces in
``api.schemas.common``). Callers import from the resource module: this package re-exports
nothing."""
