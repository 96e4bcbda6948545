// Verify EthereumEip712Signature2021 credentials with tools nobody on dareg wrote.
//
//   node tests/js/veramo_verify.mjs < credentials.json     (a JSON array of credentials)
//
// For each credential, prints (one JSON array on standard output):
//   veramo      {verified, error}: @veramo/credential-eip712's CredentialProviderEIP712
//               verifyCredential, with an agent resolving did:pkh (@veramo/did-provider-pkh);
//   ethSigUtil  {recovered, error}: @metamask/eth-sig-util recoverTypedSignature (V4) on the
//               message built as Veramo builds it (the credential without proof, plus proof
//               without proofValue, eip712 and eip712Domain);
//   issuer      the account in the issuer's did:pkh;
//   recovered   what eth-sig-util recovered (null if it threw);
//   lowS        whether proofValue is canonical (v 27 or 28, s <= n/2);
//   typesMatch  whether proof.eip712.types equal the types derived from the credential by the
//               rule of docs/credential.md (written here from that page), so that no member of
//               the credential escapes the signature;
//   procedure   the documented verdict: veramo verified, eth-sig-util recovered the issuer,
//               lowS and typesMatch.
// Neither bare tool checks low-s or undeclared members: the high-s twin of a signature
// recovers the same account in both, and members the types do not declare are not hashed.

import { createAgent } from '@veramo/core';
import { CredentialProviderEIP712 } from '@veramo/credential-eip712';
import { DIDResolverPlugin } from '@veramo/did-resolver';
import { getDidPkhResolver } from '@veramo/did-provider-pkh';
import { recoverTypedSignature, SignTypedDataVersion } from '@metamask/eth-sig-util';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const DOMAIN_MEMBERS = [
  ['name', 'string'],
  ['version', 'string'],
  ['chainId', 'uint256'],
  ['verifyingContract', 'address'],
  ['salt', 'bytes32'],
];

function lowS(proofValue) {
  if (typeof proofValue !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(proofValue)) return false;
  const s = BigInt('0x' + proofValue.slice(66, 130));
  const v = parseInt(proofValue.slice(130, 132), 16);
  return (v === 27 || v === 28) && s > 0n && s <= N / 2n;
}

function typeName(key) {
  const name = key
    .split(/[^0-9A-Za-z]+/)
    .filter((part) => part)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
  return !name || /^[0-9]/.test(name) ? 'T' + name : name;
}

// The derivation rule of docs/credential.md, "The EIP-712 types".
function deriveTypes(message, primaryType, domain) {
  const types = {};
  const reserved = new Set([primaryType, 'EIP712Domain']);
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const register = (key, fields) => {
    const base = typeName(key);
    let candidate = base;
    for (let n = 2; reserved.has(candidate) || (candidate in types && !same(types[candidate], fields)); n++) {
      candidate = base + n;
    }
    types[candidate] = fields;
    return candidate;
  };
  const struct = (value) => {
    const keys = Object.keys(value).sort(); // ASCII keys: code unit order = code point order
    if (keys.length === 0) throw new Error('empty object');
    return keys.map((key) => ({ name: key, type: member(key, value[key]) }));
  };
  const member = (key, value) => {
    if (typeof value === 'boolean') return 'bool';
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new Error(`${key}: not a safe integer`);
      return value >= 0 ? 'uint256' : 'int256';
    }
    if (typeof value === 'string') return 'string';
    if (Array.isArray(value)) {
      if (value.every((item) => typeof item === 'string')) return 'string[]';
      if (value.every((item) => item !== null && typeof item === 'object' && !Array.isArray(item))) {
        const shapes = value.map(struct);
        if (!shapes.every((shape) => same(shape, shapes[0]))) throw new Error(`${key}: shapes differ`);
        return register(key, shapes[0]) + '[]';
      }
      throw new Error(`${key}: unsupported list`);
    }
    if (value !== null && typeof value === 'object') return register(key, struct(value));
    throw new Error(`${key}: unsupported value`);
  };
  const fields = struct(message);
  const sorted = Object.fromEntries(Object.keys(types).sort().map((name) => [name, types[name]]));
  return {
    EIP712Domain: DOMAIN_MEMBERS.filter(([name]) => name in domain).map(([name, type]) => ({ name, type })),
    [primaryType]: fields,
    ...sorted,
  };
}

function typesMatch(credential, message) {
  try {
    const { domain, types, primaryType } = credential.proof.eip712;
    const derived = deriveTypes(message, primaryType, domain);
    // key order is not signed: compare the [name, type] pairs of each type's fields, in order
    const canon = (t) =>
      JSON.stringify(
        Object.keys(t)
          .sort()
          .map((k) => [k, t[k].map((field) => [field.name, field.type, Object.keys(field).length])]),
      );
    return canon(derived) === canon(types);
  } catch {
    return false;
  }
}

function issuerAddress(credential) {
  const id = typeof credential.issuer === 'string' ? credential.issuer : credential.issuer?.id;
  const match = /^did:pkh:eip155:[0-9]+:(0x[0-9a-fA-F]{40})$/.exec(id ?? '');
  return match ? match[1] : null;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const agent = createAgent({
  plugins: [new DIDResolverPlugin({ ...getDidPkhResolver() })],
});
const provider = new CredentialProviderEIP712();

const credentials = JSON.parse(await readStdin());
const results = [];
for (const credential of credentials) {
  const result = { issuer: issuerAddress(credential) };
  try {
    result.veramo = await provider.verifyCredential({ credential }, { agent });
  } catch (error) {
    result.veramo = { verified: false, error: { message: String(error?.message ?? error) } };
  }
  const { proof, ...unsigned } = credential;
  const { proofValue, eip712, eip712Domain, ...options } = proof ?? {};
  const message = { ...unsigned, proof: options };
  try {
    const recovered = recoverTypedSignature({
      data: { types: eip712.types, domain: eip712.domain, primaryType: eip712.primaryType, message },
      signature: proofValue,
      version: SignTypedDataVersion.V4,
    });
    result.ethSigUtil = { recovered };
    result.recovered = recovered;
  } catch (error) {
    result.ethSigUtil = { recovered: null, error: String(error?.message ?? error) };
    result.recovered = null;
  }
  result.lowS = lowS(proofValue);
  result.typesMatch = typesMatch(credential, message);
  result.procedure =
    result.veramo.verified === true &&
    result.issuer !== null &&
    result.recovered?.toLowerCase() === result.issuer.toLowerCase() &&
    result.lowS &&
    result.typesMatch;
  results.push(result);
}
process.stdout.write(JSON.stringify(results) + '\n');
