// An independent implementation of the dareg dataset fingerprint dfp1 (docs/fingerprint.md),
// written from the specification only, in plain Node.js (node:crypto and node:fs, nothing else).
//
// It rebuilds every case of tests/vectors/fingerprint_v1.json in memory, recomputes the file
// roots, the tree root and the fingerprint, checks the RFC 6962 reference data, and verifies
// every inclusion proof document, comparing each result with the vector file.
//
// Usage: node tests/js/fingerprint_dfp1.mjs [path/to/vectors.json]
// Prints one JSON object {"ok": bool, "checked": n, "failures": [...]} and exits 0 only if ok.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const CHUNK_SIZE = 1048576;
const TAG = Buffer.from('dareg-dfp1', 'ascii');

const sha256 = (...parts) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};
const u32 = (n) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n);
  return out;
};
const u64 = (n) => {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(n));
  return out;
};
const hex = (buffer) => '0x' + buffer.toString('hex');
const unhex = (text) => Buffer.from(text.slice(2), 'hex');

// Largest power of two strictly smaller than n (n > 1).
const split = (n) => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};

// RFC 6962 Merkle Tree Hash over leaf data, by the recursive definition.
const leafHash = (data) => sha256(Buffer.from([0x00]), data);
const nodeHash = (left, right) => sha256(Buffer.from([0x01]), left, right);
function mthOfHashes(hashes) {
  if (hashes.length === 0) return sha256(Buffer.alloc(0));
  if (hashes.length === 1) return hashes[0];
  const k = split(hashes.length);
  return nodeHash(mthOfHashes(hashes.slice(0, k)), mthOfHashes(hashes.slice(k)));
}
const mth = (leaves) => mthOfHashes(leaves.map(leafHash));

// RFC 6962 section 2.1.1 PATH(m, D[n]) over leaf hashes.
function auditPath(hashes, m) {
  if (hashes.length <= 1) return [];
  const k = split(hashes.length);
  if (m < k) return [...auditPath(hashes.slice(0, k), m), mthOfHashes(hashes.slice(k))];
  return [...auditPath(hashes.slice(k), m - k), mthOfHashes(hashes.slice(0, k))];
}

// RFC 9162 section 2.1.3.2: the root an inclusion path leads to, or null if it cannot fit.
function rootFromPath(leaf, index, size, path) {
  if (!(index >= 0 && index < size)) return null;
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : null;
}

// The bytes a vector file description stands for.
function content(spec) {
  if ('text' in spec) return Buffer.from(spec.text, 'utf8');
  if (spec.pattern === 'repeat') return Buffer.alloc(spec.size, spec.byte);
  if (spec.pattern === 'counter') {
    const out = Buffer.alloc(spec.size);
    for (let i = 0; i < spec.size; i++) out[i] = i % 251;
    return out;
  }
  throw new Error(`unknown pattern ${spec.pattern}`);
}

function fileRoot(data) {
  const chunks = [];
  for (let offset = 0; offset < data.length; offset += CHUNK_SIZE) {
    chunks.push(data.subarray(offset, offset + CHUNK_SIZE));
  }
  if (chunks.length === 0) chunks.push(Buffer.alloc(0));
  return mth(chunks);
}

const entryLeaf = (path, size, root) => {
  const name = Buffer.from(path, 'utf8');
  return Buffer.concat([u32(name.length), name, u64(size), root]);
};
const fileFingerprint = (size, root) =>
  sha256(Buffer.from([0x02]), TAG, Buffer.from([0x00]), u64(size), root);
const directoryFingerprint = (count, root) =>
  sha256(Buffer.from([0x02]), TAG, Buffer.from([0x01]), u64(count), root);

// Computes what the vector file expects for one case.
function compute(testCase) {
  if (testCase.kind === 'file') {
    const data = content(testCase.files[0]);
    const root = fileRoot(data);
    return {
      fingerprint: hex(fileFingerprint(data.length, root)),
      root: hex(root),
      total_size: data.length,
      entry_count: 1,
      entries: [{ path: '', size: data.length, file_root: hex(root) }],
    };
  }
  const entries = testCase.files
    .map((spec) => {
      const data = content(spec);
      return { path: spec.path.normalize('NFC'), size: data.length, root: fileRoot(data) };
    })
    .sort((a, b) => Buffer.compare(Buffer.from(a.path, 'utf8'), Buffer.from(b.path, 'utf8')));
  const root = mth(entries.map((e) => entryLeaf(e.path, e.size, e.root)));
  return {
    fingerprint: hex(directoryFingerprint(entries.length, root)),
    root: hex(root),
    total_size: entries.reduce((sum, e) => sum + e.size, 0),
    entry_count: entries.length,
    entries: entries.map((e) => ({ path: e.path, size: e.size, file_root: hex(e.root) })),
  };
}

// Verifies an inclusion proof document (docs/fingerprint.md, "Inclusion proofs").
const HEX32 = /^0x[0-9a-f]{64}$/;
function verifyProof(doc) {
  if (doc.type !== 'dareg-inclusion-proof' || doc.algorithm !== 'dfp1') return false;
  if (doc.chunk_size !== CHUNK_SIZE || !HEX32.test(doc.fingerprint)) return false;
  const m = doc.member;
  const hashes = [m.file_root, ...m.audit_path];
  if (doc.chunk) hashes.push(doc.chunk.leaf_hash, ...doc.chunk.audit_path);
  if (!hashes.every((h) => HEX32.test(h))) return false;
  if (doc.chunk) {
    const expectedCount = Math.max(1, Math.ceil(m.size / CHUNK_SIZE));
    if (doc.chunk.count !== expectedCount) return false;
    const root = rootFromPath(
      unhex(doc.chunk.leaf_hash),
      doc.chunk.index,
      doc.chunk.count,
      doc.chunk.audit_path.map(unhex),
    );
    if (root === null || hex(root) !== m.file_root) return false;
  }
  let fingerprint;
  if (doc.kind === 'file') {
    if (m.path !== '' || m.index !== 0 || m.entry_count !== 1 || m.audit_path.length !== 0) {
      return false;
    }
    fingerprint = fileFingerprint(m.size, unhex(m.file_root));
  } else if (doc.kind === 'directory') {
    const leaf = leafHash(entryLeaf(m.path, m.size, unhex(m.file_root)));
    const root = rootFromPath(leaf, m.index, m.entry_count, m.audit_path.map(unhex));
    if (root === null) return false;
    fingerprint = directoryFingerprint(m.entry_count, root);
  } else {
    return false;
  }
  return hex(fingerprint) === doc.fingerprint;
}

const vectorsPath = process.argv[2] ?? new URL('../vectors/fingerprint_v1.json', import.meta.url);
const vectors = JSON.parse(readFileSync(vectorsPath, 'utf8'));
const failures = [];
let checked = 0;
const check = (label, actual, expected) => {
  checked += 1;
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) failures.push({ check: label, expected: e, actual: a });
};

if (vectors.algorithm !== 'dfp1' || vectors.chunk_size !== CHUNK_SIZE) {
  failures.push({ check: 'header', expected: 'dfp1 with 1 MiB chunks', actual: vectors.algorithm });
}
for (const testCase of vectors.cases) {
  const got = compute(testCase);
  for (const key of ['fingerprint', 'root', 'total_size', 'entry_count', 'entries']) {
    check(`case ${testCase.name}: ${key}`, got[key], testCase.expected[key]);
  }
}
const leaves = vectors.merkle.leaves.map(unhex);
vectors.merkle.roots.forEach((root, n) => {
  check(`rfc6962 root of ${n}`, hex(mth(leaves.slice(0, n))), root);
});
for (const { index, size, path } of vectors.merkle.inclusion) {
  const hashes = leaves.slice(0, size).map(leafHash);
  check(`rfc6962 path ${index}/${size}`, auditPath(hashes, index).map(hex), path);
  const root = rootFromPath(hashes[index], index, size, path.map(unhex));
  check(`rfc6962 verify ${index}/${size}`, root && hex(root), vectors.merkle.roots[size]);
}
for (const vector of vectors.proofs) {
  check(`proof ${vector.name}`, verifyProof(vector.proof), vector.valid);
}

const ok = failures.length === 0 && checked > 0;
process.stdout.write(JSON.stringify({ ok, checked, failures }) + '\n');
process.exit(ok ? 0 : 1);
