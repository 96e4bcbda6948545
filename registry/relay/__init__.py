"""Relaying: parties sign ERC-2771 forward requests; the registry's operator sends them."""
