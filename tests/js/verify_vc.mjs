// An independent verifier of dareg certificate credentials (docs/credential.md), written from the
// documented mapping with ethers v6's EIP-712 implementation and nothing of dareg's code.
//
// It rebuilds the EIP-712 message from the credential (the RFC 8785 canonical JSON of the
// credential without "proof", the key facts, the proof options), recovers the signer with
// ethers.verifyTypedData using the domain and types the proof carries, and compares it with the
// issuer's did:pkh account.
//
// Usage: node tests/js/verify_vc.mjs [credential.json]      (default: read standard input)
// The input is one credential or a JSON array of credentials. Prints one JSON result per
// credential ({"ok", "recovered", "issuer", "reason"}), an array for an array, and exits 0.

import { readFileSync } from 'node:fs';
import { ethers } from 'ethers';

// RFC 8785 (JCS): ECMAScript number and string serialisation, object keys sorted by UTF-16 code
// units, no whitespace.
const canonical = (value) => {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']';
  const keys = Object.keys(value).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonical(value[k])).join(',') + '}';
};

const DID_PKH = /^did:pkh:eip155:([1-9][0-9]*):(0x[0-9a-fA-F]{40})$/;
const account = (did) => {
  const match = typeof did === 'string' ? DID_PKH.exec(did) : null;
  if (!match) throw new Error(`not a did:pkh:eip155 account: ${JSON.stringify(did)}`);
  return { chainId: BigInt(match[1]), address: ethers.getAddress(match[2]) };
};

const need = (object, key, where) => {
  if (object === null || typeof object !== 'object' || !(key in object)) {
    throw new Error(`missing ${where}${key}`);
  }
  return object[key];
};

const message = (vc) => {
  const subject = need(vc, 'credentialSubject', '');
  const issuer = need(vc, 'issuer', '');
  const proof = need(vc, 'proof', '');
  const unsigned = { ...vc };
  delete unsigned.proof;
  return {
    certificateNumber: need(subject, 'certificateNumber', 'credentialSubject.'),
    tokenId: need(subject, 'tokenId', 'credentialSubject.'),
    registrarCode: need(issuer, 'registrarCode', 'issuer.'),
    issuer: account(need(issuer, 'id', 'issuer.')).address,
    holder: account(need(subject, 'id', 'credentialSubject.')).address,
    fingerprint: need(subject, 'fingerprint', 'credentialSubject.'),
    metadataHash: need(subject, 'metadataHash', 'credentialSubject.'),
    validFrom: need(vc, 'validFrom', ''),
    validUntil: need(vc, 'validUntil', ''),
    proof: {
      type: need(proof, 'type', 'proof.'),
      created: need(proof, 'created', 'proof.'),
      proofPurpose: need(proof, 'proofPurpose', 'proof.'),
      verificationMethod: need(proof, 'verificationMethod', 'proof.'),
    },
    credential: canonical(unsigned),
  };
};

const verify = (vc) => {
  const result = { ok: false, recovered: null, issuer: null, reason: '' };
  try {
    const proof = need(vc, 'proof', '');
    const eip712 = need(proof, 'eip712', 'proof.');
    const types = { ...need(eip712, 'types', 'proof.eip712.') };
    const domainType = types.EIP712Domain;
    delete types.EIP712Domain; // ethers derives the domain type from the domain's members
    const domain = need(eip712, 'domain', 'proof.eip712.');
    const value = message(vc);
    const issuer = account(need(need(vc, 'issuer', ''), 'id', 'issuer.'));
    result.issuer = issuer.address;
    const signature = need(proof, 'proofValue', 'proof.');
    result.recovered = ethers.verifyTypedData(domain, types, value, signature);
    // one encoding per signature: v is 27 or 28 and s is in the lower half (ethers checks s)
    const canonicalSignature = ethers.Signature.from(signature).serialized;
    const derived = ethers.TypedDataEncoder.getPayload(domain, types, value).types.EIP712Domain;
    const primaryType = ethers.TypedDataEncoder.from(types).primaryType;
    if (typeof signature !== 'string' || signature.toLowerCase() !== canonicalSignature) {
      result.reason = 'proofValue is not a canonical 65-byte signature (v must be 27 or 28)';
    } else if (domainType !== undefined && canonical(domainType) !== canonical(derived)) {
      result.reason = 'the EIP712Domain type in the proof does not describe its domain';
    } else if (eip712.primaryType !== primaryType) {
      result.reason = `the proof names primaryType ${eip712.primaryType}, the types say ${primaryType}`;
    } else if (result.recovered !== issuer.address) {
      result.reason = `signed by ${result.recovered}, not by the issuer ${issuer.address}`;
    } else if (BigInt(domain.chainId) !== issuer.chainId) {
      result.reason = 'the issuer account is on another chain than the signature domain';
    } else if (proof.verificationMethod !== `${vc.issuer.id}#blockchainAccountId`) {
      result.reason = 'the verification method is not the issuer account';
    } else if (proof.type !== 'EthereumEip712Signature2021') {
      result.reason = `unexpected proof type ${proof.type}`;
    } else {
      result.ok = true;
      result.reason = `signed by the issuer ${issuer.address}`;
    }
  } catch (error) {
    result.reason = `cannot verify: ${error.shortMessage ?? error.message}`;
  }
  return result;
};

const text = readFileSync(process.argv[2] ?? 0, 'utf8');
const input = JSON.parse(text);
const output = Array.isArray(input) ? input.map(verify) : verify(input);
process.stdout.write(JSON.stringify(output) + '\n');
