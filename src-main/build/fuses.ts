/**
 * Electron fuses for a packaged Netwright: features compiled into the Electron binary that an
 * attacker with a shell could otherwise use to run code as the app (docs/security.md, "Electron").
 * Flip them on the packaged binary, then check them:
 *
 * @example npm run fuses -- dist/linux-unpacked/netwright          # flip
 * @example npm run fuses -- --check dist/linux-unpacked/netwright  # verify (exit 1 on a mismatch)
 */
import { FuseState, FuseV1Options, FuseVersion, flipFuses, getCurrentFuseWire, type FuseConfig } from '@electron/fuses';
import { fileURLToPath } from 'node:url';

/**
 * Every fuse Electron 45 knows, set explicitly (`strictlyRequireAllFuses`: a new fuse in a later
 * Electron fails the build until it is decided here).
 */
export const NETWRIGHT_FUSES = {
  version: FuseVersion.V1,
  strictlyRequireAllFuses: true,
  // `ELECTRON_RUN_AS_NODE=1 netwright script.js` would run any script as a plain Node with the app's signature.
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  // NODE_OPTIONS=--require and --inspect would inject code into the main process.
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  // Only app.asar, whose integrity is checked above; not a loose `app/` folder dropped beside it.
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  // The app is served from app://netwright (main.ts); file:// needs no extra privileges.
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  [FuseV1Options.WasmTrapHandlers]: true,
} satisfies FuseConfig;

/** Fuses of `binary` that differ from {@link NETWRIGHT_FUSES}, as `Name: found, wanted` lines (empty when all match). */
export async function fuseMismatches(binary: string): Promise<string[]> {
  const wire = await getCurrentFuseWire(binary);
  const out: string[] = [];
  for (const key of Object.keys(NETWRIGHT_FUSES)) {
    const index = Number(key);
    if (!Number.isInteger(index)) continue;
    const wanted = NETWRIGHT_FUSES[index as FuseV1Options] ? FuseState.ENABLE : FuseState.DISABLE;
    const found = wire[index as FuseV1Options];
    if (found !== wanted) out.push(`${FuseV1Options[index]}: ${found === undefined ? 'absent' : FuseState[found]}, wanted ${FuseState[wanted]}`);
  }
  return out;
}

/** Flip the fuses of a packaged binary and verify them; returns the mismatches left (none on success). */
export async function applyFuses(binary: string): Promise<string[]> {
  await flipFuses(binary, NETWRIGHT_FUSES);
  return fuseMismatches(binary);
}

async function main(argv: string[]): Promise<number> {
  const check = argv[0] === '--check';
  const binary = check ? argv[1] : argv[0];
  if (!binary) {
    console.error('usage: npm run fuses -- [--check] <path to the packaged Electron binary>');
    return 2;
  }
  const bad = check ? await fuseMismatches(binary) : await applyFuses(binary);
  for (const line of bad) console.error(`fuse ${line}`);
  if (bad.length === 0) console.log(`${binary}: fuses ${check ? 'as wanted' : 'flipped and verified'}`);
  return bad.length === 0 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
