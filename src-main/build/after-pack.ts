/**
 * electron-builder's `afterPack` hook (electron-builder.json): the packaged Electron binary gets
 * Netwright's fuses (fuses.ts, docs/security.md "Electron"), checked right after flipping; a
 * mismatch fails the build. It runs before code signing, as fuses must. electron-builder loads
 * this TypeScript file under `node --import tsx` (`npm run dist`).
 */
import path from 'node:path';
import type { AfterPackContext } from 'electron-builder';
import { applyFuses } from './fuses';

/** Where electron-builder put the Electron binary it packed, as its own fuse step finds it. */
export function packagedBinary(target: { platform: string; appOutDir: string; productFilename: string; linuxExecutableName?: string }): string {
  const { platform, appOutDir, productFilename } = target;
  // macOS: the .app (@electron/fuses finds the Electron Framework inside it); Windows: the .exe named after the product; Linux: executableName.
  if (platform === 'darwin' || platform === 'mas') return path.join(appOutDir, `${productFilename}.app`);
  if (platform === 'win32') return path.join(appOutDir, `${productFilename}.exe`);
  return path.join(appOutDir, target.linuxExecutableName ?? productFilename);
}

/** Flip and check the fuses of the binary in `context.appOutDir`; throws (failing the build) when one is not as wanted. */
export async function afterPack(context: Pick<AfterPackContext, 'appOutDir' | 'electronPlatformName'> & { packager: { appInfo: { productFilename: string }; executableName?: string } }): Promise<string> {
  const binary = packagedBinary({
    platform: context.electronPlatformName,
    appOutDir: context.appOutDir,
    productFilename: context.packager.appInfo.productFilename,
    ...(context.packager.executableName ? { linuxExecutableName: context.packager.executableName } : {}),
  });
  const wrong = await applyFuses(binary);
  if (wrong.length) throw new Error(`${binary}: fuses not as wanted after flipping them: ${wrong.join('; ')}`);
  console.log(`  • fuses flipped and verified  binary=${binary}`);
  return binary;
}

export default afterPack;
