// Where the e2e scenarios run: the real Electron app when its binary is installed, otherwise
// web mode in a system Chromium. Never a silent skip: with neither, the run fails and says why.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // The camera scenario: a fake camera (a test pattern) whose permission is granted without a prompt.
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
];

export function electronBinary(root) {
  const dir = path.join(root, 'node_modules', 'electron');
  const pathFile = path.join(dir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const exe = path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(exe) ? exe : undefined;
}

export function chromiumBinary() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((p) => p && existsSync(p));
}

/** Pick the target: NETWRIGHT_E2E_TARGET=electron|web forces one. */
export function chooseTarget(root) {
  const forced = process.env.NETWRIGHT_E2E_TARGET;
  const electron = electronBinary(root);
  const chromium = chromiumBinary();
  if (forced === 'electron' || (!forced && electron)) {
    if (!electron) throw new Error('NETWRIGHT_E2E_TARGET=electron, but the Electron binary is not installed: run `node node_modules/electron/install.js` (or `npm start` once) with network access.');
    return { kind: 'electron', executable: electron };
  }
  if (chromium) return { kind: 'web', executable: chromium };
  throw new Error(
    'The end-to-end tests need a browser and found none. Either install the Electron binary (`npm install` with network access), ' +
      'or install Chromium (Debian/Ubuntu: `sudo apt-get install chromium`; or set CHROMIUM_PATH to a Chromium/Chrome executable).',
  );
}
