#!/usr/bin/env node
// Compiles the CPU backend's WebAssembly kernels (src-engine/node/cpu/kernels/*.wat) with wabt and
// writes two generated modules, committed so `tsx` and the tests work on a clean clone:
//   generated/kernels.ts       the binaries, base64-encoded;
//   generated/kernel-table.ts  every exported kernel: id, `module.export`, named and typed parameters
//                              (from the `.wat` export signatures), an argument writer and invoker, and
//                              the constants of kernels/constants.mjs the `.wat` text uses as `{{GROUP.NAME}}`.
// test/unit/cpu-backend/kernels-fresh.test.ts rebuilds both in memory and fails if either is stale.
// Run: `node scripts/build-kernels.mjs`, or `npm run gen` (every generator, in order).
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import * as KERNEL_CONSTANTS from '../src-engine/node/cpu/kernels/constants.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const KERNEL_DIR = join(root, 'src-engine/node/cpu/kernels');
export const GENERATED_PATH = join(root, 'src-engine/node/cpu/generated/kernels.ts');
export const TABLE_PATH = join(root, 'src-engine/node/cpu/generated/kernel-table.ts');

/** Most kernels the worker pool can address (7 bits of its work word). */
const MAX_KERNELS = 128;

const FMA_PATTERN = /\(f32x4\.add \(local\.get (\$\w+)\) \(f32x4\.mul \(local\.get (\$\w+)\) \(local\.get (\$\w+)\)\)\)/g;

/** The relaxed-SIMD variant of a kernel source: every `acc + x*y` becomes one fused `relaxed_madd`. */
export function toRelaxed(wat) {
  return wat.replace(FMA_PATTERN, '(f32x4.relaxed_madd (local.get $2) (local.get $3) (local.get $1))');
}

async function compile(wabt, name, wat) {
  const features = { simd: true, threads: true, bulk_memory: true, relaxed_simd: true };
  // NOTE: pass UTF-8 bytes: given a JS string, wabt.js keeps only the low byte of each char, so a
  // comment with e.g. ⌊ (U+230A) would gain a newline.
  const mod = wabt.parseWat(`${name}.wat`, new Uint8Array(Buffer.from(wat, 'utf8')), features);
  try {
    return Buffer.from(mod.toBinary({ log: false, write_debug_names: false }).buffer);
  } finally {
    mod.destroy();
  }
}

/** The `.wat` text with every `{{GROUP.NAME}}` replaced by its value from kernels/constants.mjs. */
export function substituteConstants(file, wat) {
  return wat.replace(/\{\{\s*([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*\}\}/g, (_, group, name) => {
    const value = KERNEL_CONSTANTS[group]?.[name];
    if (typeof value !== 'number') throw new Error(`${file}: unknown constant {{${group}.${name}}} (see kernels/constants.mjs)`);
    return String(value);
  });
}

/** Tokens of WAT text: `(`, `)`, strings and atoms; comments dropped. */
function tokenize(wat) {
  const tokens = [];
  const re = /\s+|;;[^\n]*|\(;[\s\S]*?;\)|"(?:[^"\\]|\\.)*"|[()]|[^\s()";]+/g;
  for (const [t] of wat.matchAll(re)) {
    if (/^\s/.test(t) || t.startsWith(';;') || t.startsWith('(;')) continue;
    tokens.push(t);
  }
  return tokens;
}

const VALUE_TYPES = new Set(['i32', 'i64', 'f32', 'f64']);

/**
 * The exported functions of a `.wat` module in source order: `{ name, params: [{ name, type }], result }`.
 * Reads each `(func $id? (export "name") (param $p type)… (result type)?` header; exported
 * parameters must be named, since the name is what callers pass.
 */
export function parseExports(file, wat) {
  const t = tokenize(wat);
  const out = [];
  for (let i = 0; i < t.length - 1; i++) {
    if (t[i] !== '(' || t[i + 1] !== 'func') continue;
    let j = i + 2;
    if (t[j]?.startsWith('$')) j++;
    let exportName = null;
    const params = [];
    let result = null;
    // Header groups: (export "…"), (param …), (result …); anything else ends the header.
    while (t[j] === '(' && ['export', 'param', 'result'].includes(t[j + 1])) {
      const kind = t[j + 1];
      const items = [];
      for (j += 2; t[j] !== ')'; j++) items.push(t[j]);
      j++;
      if (kind === 'export') exportName = JSON.parse(items[0]);
      else if (kind === 'param') {
        if (items.length !== 2 || !items[0].startsWith('$') || !VALUE_TYPES.has(items[1])) {
          params.push(null);
          continue;
        }
        params.push({ name: items[0].slice(1), type: items[1] });
      } else result = items.length === 1 && VALUE_TYPES.has(items[0]) ? items[0] : undefined;
    }
    if (exportName === null) continue;
    if (params.includes(null)) throw new Error(`${file}: export "${exportName}" needs one named parameter per (param $name type)`);
    if (result === undefined) throw new Error(`${file}: export "${exportName}" may return one number at most`);
    out.push({ name: exportName, params, result });
  }
  return out;
}

/**
 * Functions exported by a module-level `(export "name" (func $f))`: for other kernel modules to
 * import (e.g. with v128 parameters, which JS cannot pass), so not kernel-table entries.
 */
function moduleOnlyExports(wat) {
  const t = tokenize(wat);
  const out = new Set();
  for (let i = 0; i + 4 < t.length; i++) {
    if (t[i] === '(' && t[i + 1] === 'export' && t[i - 1] !== 'func' && !t[i - 1]?.startsWith('$') && t[i + 3] === '(' && t[i + 4] === 'func') out.add(JSON.parse(t[i + 2]));
  }
  return out;
}

/** Builds every kernel module; returns the generated files' texts keyed by path. */
export async function buildGeneratedFiles() {
  const wabt = await wabtInit();
  const files = readdirSync(KERNEL_DIR).filter((f) => f.endsWith('.wat')).sort();
  const entries = [];
  const kernels = [];
  for (const file of files) {
    const name = file.replace(/\.wat$/, '');
    const wat = substituteConstants(file, readFileSync(join(KERNEL_DIR, file), 'utf8'));
    const simd = await compile(wabt, name, wat);
    // NOTE: wabt's own validator rejects shared memories, so V8 validates the plain-SIMD binary
    // (the relaxed one only validates where the runtime enables relaxed SIMD).
    if (!WebAssembly.validate(simd)) throw new Error(`${file}: the compiled module does not validate`);
    const moduleOnly = moduleOnlyExports(wat);
    const exported = new Set(
      WebAssembly.Module.exports(new WebAssembly.Module(simd)).filter((e) => e.kind === 'function' && !moduleOnly.has(e.name)).map((e) => e.name),
    );
    const parsed = parseExports(file, wat);
    if (parsed.length !== exported.size || parsed.some((k) => !exported.has(k.name))) {
      throw new Error(`${file}: could not read every exported function's signature (found ${parsed.map((k) => k.name).join(', ')})`);
    }
    for (const k of parsed) kernels.push({ module: name, ...k });
    const relaxedWat = toRelaxed(wat);
    const relaxed = relaxedWat === wat ? null : await compile(wabt, `${name}.relaxed`, relaxedWat);
    entries.push(
      `  ${name}: {\n    simd: '${simd.toString('base64')}',\n    relaxed: ${relaxed ? `'${relaxed.toString('base64')}'` : 'null'},\n  },`,
    );
  }
  const binaries = `// GENERATED by scripts/build-kernels.mjs from src-engine/node/cpu/kernels/*.wat — do not edit.
// Rebuild with \`node scripts/build-kernels.mjs\`; a unit test fails when this file is stale.

/** Base64 WebAssembly binaries per kernel module: plain SIMD, and relaxed-SIMD (FMA) where it differs. */
export const KERNEL_BINARIES: Readonly<Record<string, { simd: string; relaxed: string | null }>> = {
${entries.join('\n')}
};
`;
  return { [GENERATED_PATH]: binaries, [TABLE_PATH]: kernelTable(kernels) };
}

/** The text of generated/kernel-table.ts for `kernels` (`{ module, name, params, result }`, id order). */
function kernelTable(kernels) {
  if (kernels.length > MAX_KERNELS) throw new Error(`${kernels.length} kernels: the worker pool addresses at most ${MAX_KERNELS}`);
  const seen = new Map();
  for (const k of kernels) {
    if (seen.has(k.name)) throw new Error(`kernel "${k.name}" is exported by both ${seen.get(k.name)}.wat and ${k.module}.wat; kernels are called by export name`);
    seen.set(k.name, k.module);
  }
  const signature = (k) => `${k.module}.${k.name}(${k.params.map((p) => `${p.name}: ${p.type}`).join(', ')})${k.result ? `: ${k.result}` : ''}`;
  const args = kernels.map((k) => `  /** \`${signature(k)}\` */\n  ${k.name}: { ${k.params.map((p) => `${p.name}: number`).join('; ')} };`);
  const results = kernels.map((k) => `  ${k.name}: ${k.result ? 'number' : 'void'};`);
  const specs = kernels.map((k, id) => {
    const params = k.params.map((p) => `{ name: '${p.name}', type: '${p.type}' }`).join(', ');
    const write = k.params.map((p, j) => `r[i${j ? ` + ${j}` : ''}] = a.${p.name};`).join(' ');
    const call = k.params.map((_, j) => `r[i${j ? ` + ${j}` : ''}]`).join(', ');
    return `  ${k.name}: {
    id: ${id},
    name: '${k.name}',
    qualified: '${k.module}.${k.name}',
    params: [${params}],
    result: ${k.result ? `'${k.result}'` : 'null'},
    write: (a, r, i) => { ${write} },
    invoke: (f, r, i) => f(${call}),
  },`;
  });
  // Sorted: a module namespace's key order differs between loaders (node, vite).
  const constants = Object.entries(KERNEL_CONSTANTS).sort(([a], [b]) => (a < b ? -1 : 1)).map(
    ([group, values]) =>
      `export const ${group} = {\n${Object.entries(values).map(([k, v]) => `  ${k}: ${v},`).join('\n')}\n} as const;`,
  );
  return `// GENERATED by scripts/build-kernels.mjs from src-engine/node/cpu/kernels/*.wat and
// kernels/constants.mjs — do not edit. Rebuild with \`node scripts/build-kernels.mjs\`; a unit test
// fails when this file is stale.

import type { KernelSpec } from '../kernel-spec';

// ---- Constants shared with the .wat sources (documented in kernels/constants.mjs) -------------

${constants.join('\n\n')}

// ---- Kernels: every exported function of kernels/*.wat --------------------------------------

/** Each kernel's arguments by parameter name (the \`.wat\` export's \`(param $name type)\`). */
export interface KernelArgs {
${args.join('\n')}
}

/** What each kernel returns (\`void\` without a \`(result …)\`). */
export interface KernelResults {
${results.join('\n')}
}

/** Every kernel, by name. */
export const KERNELS: { readonly [K in keyof KernelArgs]: KernelSpec<K, KernelArgs[K]> } = {
${specs.join('\n')}
};
`;
}

/** The text of generated/kernels.ts (the binaries). */
export async function buildKernelsModule() {
  return (await buildGeneratedFiles())[GENERATED_PATH];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [path, text] of Object.entries(await buildGeneratedFiles())) {
    writeFileSync(path, text);
    console.log(`wrote ${path} (${text.length} chars)`);
  }
}
