// An independent signer of dareg forward requests (OpenZeppelin ERC2771Forwarder's EIP-712
// `ForwardRequest`), written from the forwarder's type string with ethers v6.
//
// Input (standard input, JSON): {"key": "0x<private key>", "domain": {...}, "request": {from, to,
//   value, gas, nonce, deadline, data}} as dareg's `…/prepare` endpoints return them.
// Output (standard output, JSON): {"signature": "0x...", "address": "0x...", "digest": "0x..."}

import { readFileSync } from 'node:fs';
import { ethers } from 'ethers';

// ForwardRequest(address from,address to,uint256 value,uint256 gas,uint256 nonce,uint48 deadline,bytes data)
const TYPES = {
  ForwardRequest: [
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'gas', type: 'uint256' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint48' },
    { name: 'data', type: 'bytes' },
  ],
};

const main = async () => {
  const input = JSON.parse(readFileSync(0, 'utf8'));
  const domain = { ...input.domain, chainId: BigInt(input.domain.chainId) };
  const message = { ...input.request };
  for (const key of ['value', 'gas', 'nonce', 'deadline']) message[key] = BigInt(message[key]);
  const wallet = new ethers.Wallet(input.key);
  const signature = await wallet.signTypedData(domain, TYPES, message);
  const digest = ethers.TypedDataEncoder.hash(domain, TYPES, message);
  process.stdout.write(JSON.stringify({ signature, address: wallet.address, digest }) + '\n');
};

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
