/** The torchvision models of issue #29 as torch.onnx writes them, made once per version of their script. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { python } from './harness';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..', '..');
const SCRIPT = join(ROOT, 'test', 'golden', 'gen_torchvision_onnx.py');

/**
 * The folder of test/golden/gen_torchvision_onnx.py's outputs (`densenet121.onnx`, its
 * `densenet121.json` input and PyTorch output, …), made once per version of the script under
 * node_modules/.cache (about 200 MB; older versions are removed). Used by the torchvision import
 * tests and the canvas bench (bench/canvas-model.ts).
 */
export function torchvisionFixtures(): string {
  const source = readFileSync(SCRIPT, 'utf8');
  const cache = join(ROOT, 'node_modules', '.cache', 'netwright-torchvision-onnx');
  const key = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = join(cache, key);
  if (existsSync(join(dir, 'index.json'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  python(source, [tmp], ['torch', 'torchvision', 'onnx']);
  // Models of earlier versions of the script are of no more use (about 200 MB each).
  for (const old of readdirSync(cache)) if (old !== key && !old.includes('.tmp-')) rmSync(join(cache, old), { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}
