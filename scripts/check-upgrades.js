// Storage-layout and upgrade-safety check of the upgradeable contracts (see docs/upgrades.md).
//
// Run through `scripts/check-upgrades` (which compiles first); CI runs it from `scripts/test`.
//
//   scripts/check-upgrades                    every upgradeable contract is upgrade-safe, and its
//                                             storage layout is compatible with every release
//                                             recorded under upgrades/
//   scripts/check-upgrades --record v2.0.0    also record this build's layouts as release v2.0.0
//                                             (upgrades/v2.0.0.json, committed with the release)
//   scripts/check-upgrades --contract NAME    check only NAME (also one under contracts/test/unsafe/)
//   --build-info DIR   Hardhat build-info directory (default artifacts/build-info; only the files
//                      the current artifacts refer to are read, so stale builds never count)
//   --references DIR   recorded releases (default upgrades/)
//
// Both checks are OpenZeppelin's own (@openzeppelin/upgrades-core): `validateUpgradeSafety` for
// the rules of upgradeable code (no constructor state, no selfdestruct or delegatecall, initializers,
// `@custom:oz-upgrades-from` references), `getStorageUpgradeReport` for layout compatibility with
// a recorded release. Exits 1 on any finding.
"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const core = require("@openzeppelin/upgrades-core");

const REPO = path.resolve(__dirname, "..");
/** Deliberately unsafe fixtures: left out of the CI run, checked only when named. */
const UNSAFE_FIXTURES = "contracts/test/unsafe/**";
/** Test-only contracts are checked but never recorded as part of a release. */
const TEST_ONLY = "contracts/test/";

function parseArgs(argv) {
  const args = {
    buildInfo: path.join(REPO, "artifacts", "build-info"),
    references: path.join(REPO, "upgrades"),
    contracts: [],
    record: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const option = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${option} needs a value`);
      return argv[++i];
    };
    if (option === "--build-info") args.buildInfo = path.resolve(value());
    else if (option === "--references") args.references = path.resolve(value());
    else if (option === "--contract") args.contracts.push(value());
    else if (option === "--record") args.record = value();
    else throw new Error(`unknown option ${option}`);
  }
  if (args.record !== undefined && !/^v\d+\.\d+\.\d+$/.test(args.record)) {
    throw new Error(`--record takes a release such as v2.0.0, not ${args.record}`);
  }
  return args;
}

/** The build-info files the current artifacts were compiled in (their .dbg.json name them). */
function currentBuildInfos(buildInfoDir) {
  const artifactsDir = path.dirname(buildInfoDir);
  const referenced = new Set();
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".dbg.json")) {
        const dbg = JSON.parse(fs.readFileSync(full, "utf8"));
        referenced.add(path.resolve(path.dirname(full), dbg.buildInfo));
      }
    }
  };
  const contractsDir = path.join(artifactsDir, "contracts");
  if (fs.existsSync(contractsDir)) walk(contractsDir);
  const files = fs
    .readdirSync(buildInfoDir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => path.join(buildInfoDir, f))
    .filter((f) => referenced.size === 0 || referenced.has(f));
  if (files.length === 0) throw new Error(`no build-info under ${buildInfoDir}: compile first`);
  return files;
}

/** A directory holding only the current build-info files (links), for validateUpgradeSafety. */
function currentBuildInfoDir(files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dareg-build-info-"));
  for (const file of files) fs.symlinkSync(file, path.join(dir, path.basename(file)));
  return dir;
}

/** Every upgradeable contract's storage layout in the build, by fully qualified name. */
function currentLayouts(files) {
  const layouts = new Map();
  for (const file of files) {
    const { input, output, solcVersion } = JSON.parse(fs.readFileSync(file, "utf8"));
    const data = core.validate(output, core.solcInputOutputDecoder(input, output), solcVersion, input);
    for (const name of Object.keys(data)) {
      if (layouts.has(name)) continue;
      let version;
      try {
        version = core.getContractVersion(data, name);
      } catch {
        continue; // abstract, or an interface
      }
      layouts.set(name, core.getStorageLayout(data, version));
    }
  }
  return layouts;
}

function releases(referencesDir) {
  if (!fs.existsSync(referencesDir)) return [];
  return fs
    .readdirSync(referencesDir)
    .filter((f) => /^v\d+\.\d+\.\d+\.json$/.test(f))
    .map((f) => JSON.parse(fs.readFileSync(path.join(referencesDir, f), "utf8")));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const files = currentBuildInfos(args.buildInfo);
  const dir = currentBuildInfoDir(files);
  let ok = true;
  const checked = [];
  try {
    // 1. upgrade safety of every upgradeable contract (or of the named ones)
    const targets = args.contracts.length > 0 ? args.contracts : [undefined];
    for (const contract of targets) {
      // test-only contracts (the upgrade probe, the unsafe fixtures) are checked when named;
      // the probe inherits the registry, whose external-library linking is allowed on the
      // registry itself and not seen through inheritance by the validator
      const exclude = contract === undefined ? [UNSAFE_FIXTURES, `${TEST_ONLY}**`] : [];
      const report = await core.validateUpgradeSafety(dir, contract, undefined, {}, undefined, exclude);
      console.log(report.explain(false));
      if (report.numTotal === 0) {
        console.log(`no upgradeable contract found${contract ? ` named ${contract}` : ""}`);
        ok = false;
      }
      ok = ok && report.ok;
      checked.push(...report.upgradeableContractReports.map((r) => r.contract));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  // 2. storage layouts against every recorded release
  const layouts = currentLayouts(files);
  const opts = core.withValidationDefaults({});
  for (const release of releases(args.references)) {
    for (const [name, reference] of Object.entries(release.contracts)) {
      if (args.contracts.length > 0 && !args.contracts.some((c) => c === name || name.endsWith(`:${c}`))) {
        continue;
      }
      const current = layouts.get(name);
      if (current === undefined) {
        console.log(`✘ ${name} (released in ${release.release}) is gone or no longer upgradeable`);
        ok = false;
        continue;
      }
      const report = core.getStorageUpgradeReport(reference, current, opts);
      if (report.ok) {
        console.log(`✔ ${name}: storage layout compatible with ${release.release}`);
      } else {
        console.log(`✘ ${name}: storage layout incompatible with ${release.release}\n${report.explain(false)}`);
        ok = false;
      }
    }
  }

  // 3. record this build's layouts as a release
  if (args.record !== undefined) {
    if (!ok) throw new Error(`not recording ${args.record}: the build fails the checks above`);
    const contracts = {};
    for (const name of checked.filter((n) => !n.startsWith(TEST_ONLY)).sort()) {
      contracts[name] = layouts.get(name);
    }
    fs.mkdirSync(args.references, { recursive: true });
    const target = path.join(args.references, `${args.record}.json`);
    if (fs.existsSync(target)) throw new Error(`${target} exists: a release is recorded once`);
    const body = { release: args.record, contracts };
    fs.writeFileSync(target, JSON.stringify(body, null, 2) + "\n");
    console.log(`recorded ${Object.keys(contracts).length} storage layouts as ${target}`);
  }
  return ok;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (error) => {
    console.error(`check-upgrades: ${error.message}`);
    process.exit(1);
  },
);
