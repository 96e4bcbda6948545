"""Who is calling: Sign-In with Ethereum sessions and API keys (:mod:`registry.auth.service`).

What a caller may do is not decided here: the chain holds every role and every right, and
:mod:`api.deps` asks it (through :mod:`registry.auth.standing`) at request time."""
