// Hardhat 2 configuration for dareg.
//
// The compiler is the npm package `solc` (solcjs, WebAssembly), pinned in package.json.
// Hardhat would otherwise download a native compiler at build time, which fails on machines
// without internet access, so the solc-build subtask is overridden to return the npm compiler.
const path = require("node:path");
const { subtask } = require("hardhat/config");
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require("hardhat/builtin-tasks/task-names");

const SOLC_VERSION = "0.8.28";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args, _hre, runSuper) => {
  const solc = require("solc");
  const npmVersion = solc.version(); // e.g. "0.8.28+commit.7893614a.Emscripten.clang"
  if (args.solcVersion !== SOLC_VERSION || !npmVersion.startsWith(`${SOLC_VERSION}+`)) {
    throw new Error(
      `dareg pins solc ${SOLC_VERSION}; hardhat asked for ${args.solcVersion} and npm solc is ${npmVersion}`,
    );
  }
  return {
    compilerPath: path.join(path.dirname(require.resolve("solc")), "soljson.js"),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: npmVersion.replace(/\.Emscripten\.clang$/, ""),
  };
});

function compilerSettings(runs) {
  return {
    optimizer: { enabled: true, runs },
    evmVersion: "cancun",
    metadata: { bytecodeHash: "none" },
    // storage layouts: checked by @openzeppelin/upgrades-core before any upgrade
    outputSelection: { "*": { "*": ["storageLayout"] } },
  };
}

/** @type import('hardhat/config').HardhatUserConfig */
module.exports = {
  solidity: {
    compilers: [{ version: SOLC_VERSION, settings: compilerSettings(200) }],
  },
  paths: {
    sources: "./contracts",
    artifacts: "./artifacts",
    cache: "./cache",
    tests: "./tests/js",
  },
  networks: {
    hardhat: { chainId: 31337 },
  },
};
