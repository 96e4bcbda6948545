"""Relaying: parties sign ERC-2771 forward requests; the registry's operator sends them
(:mod:`~registry.relay.service`), only the documented actions (:mod:`~registry.relay.policy`)
and only so many an hour per party and in all (:mod:`~registry.relay.quota`)."""
