"""Certificate documents: JSON, W3C Verifiable Credential (EIP-712 signed), PDF."""
