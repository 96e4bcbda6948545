// An independent signer of dareg pledge consents (the EIP-712 `Pledge` message that
// TransferAgent.registerPledge verifies), written from the contract's type string with ethers v6
// and nothing of dareg's code.
//
// Input (standard input, JSON):
//   {"keys": ["0x<private key>", ...], "domain": {name, version, chainId, verifyingContract},
//    "message": {tokenId, pledgor, pledgee, securedAmount, currency, loanRef, maturity, nonce, deadline}}
// Integers may be JSON numbers or decimal strings; `currency` (bytes3) and `loanRef` (bytes32)
// are 0x-hex.
// Output (standard output, JSON):
//   {"signatures": ["0x..."], "addresses": ["0x..."], "digest": "0x..."}
// one signature per key, in order, by Wallet.signTypedData; `digest` is the EIP-712 hash.

import { readFileSync } from 'node:fs';
import { ethers } from 'ethers';

// Pledge(uint256 tokenId,address pledgor,address pledgee,uint128 securedAmount,bytes3 currency,
//        bytes32 loanRef,uint48 maturity,uint256 nonce,uint256 deadline)
const TYPES = {
  Pledge: [
    { name: 'tokenId', type: 'uint256' },
    { name: 'pledgor', type: 'address' },
    { name: 'pledgee', type: 'address' },
    { name: 'securedAmount', type: 'uint128' },
    { name: 'currency', type: 'bytes3' },
    { name: 'loanRef', type: 'bytes32' },
    { name: 'maturity', type: 'uint48' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
  ],
};

const INTEGERS = ['tokenId', 'securedAmount', 'maturity', 'nonce', 'deadline'];

const main = async () => {
  const request = JSON.parse(readFileSync(0, 'utf8'));
  const domain = { ...request.domain, chainId: BigInt(request.domain.chainId) };
  const message = { ...request.message };
  for (const key of INTEGERS) message[key] = BigInt(message[key]);
  const digest = ethers.TypedDataEncoder.hash(domain, TYPES, message);
  const signatures = [];
  const addresses = [];
  for (const key of request.keys) {
    const wallet = new ethers.Wallet(key);
    const signature = await wallet.signTypedData(domain, TYPES, message);
    if (ethers.verifyTypedData(domain, TYPES, message, signature) !== wallet.address) {
      throw new Error(`ethers could not verify its own signature for ${wallet.address}`);
    }
    signatures.push(signature);
    addresses.push(wallet.address);
  }
  process.stdout.write(JSON.stringify({ signatures, addresses, digest }) + '\n');
};

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
