// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const electron = { name: 'electron', message: 'Only src-main/electron may import Electron.' };
const nodeBuiltins = [
  'fs', 'fs/promises', 'path', 'os', 'child_process', 'worker_threads', 'http', 'https', 'net', 'url', 'crypto', 'stream',
].flatMap((m) => [m, `node:${m}`]);

/** An import of one of the engine's tier folders (relative specifiers: `../core/ops/types`). */
function tierImport(tiers, message) {
  // A tier's folder or its index (`../protocol`).
  return { regex: `(^|/)(${tiers.join('|')})(/|$)`, message };
}

/** The engine's rule for `files` (not src-engine/node): runtime-neutral, plus tier patterns. */
function engineTier(files, tierPatterns) {
  return [{
    files: [files],
    ignores: ['src-engine/node/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [electron, { name: 'react', message: 'The engine is UI-free.' }, ...nodeBuiltins.map((name) => ({ name, message: 'Engine core is runtime-neutral; Node-only code goes in src-engine/node.' }))],
        patterns: [{ group: ['**/src-renderer/**', '**/src-main/**', '**/node/**'], message: 'The engine core imports nothing outside it.' }, ...tierPatterns],
      }],
    },
  }];
}

/** Import boundaries (folder = runtime); the per-runtime tsconfigs enforce the same in the compiler. */
export default tseslint.config(
  // `electron.vite.config.ts.<time>.mjs`: the build's bundled config, written and removed beside its
  // source while `npm test` lints (a lint that listed it and then found it gone crashed: ENOENT).
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**', '.dev/**', '.gl/**', 'src-engine/node/cpu/generated/**', '*.config.ts.*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // The engine's tiers (docs/architecture.md): base (tensor, rng, the IR format) ← core (ops,
  // autodiff, backends, optim, data, metrics, train) ← app (service, session, probes). Each imports
  // only the tiers below it; the protocol is the contract and imports nothing of the engine.
  ...engineTier('src-engine/**/*.ts', []),
  // The catalog: declarations every tier and the protocol read (input transforms: kinds, parameters, what they do), so it imports none of them.
  ...engineTier('src-engine/catalog/**/*.ts', [tierImport(['base', 'core', 'app', 'protocol'], 'The catalog (declarations the IR, the protocol and the engine share) imports no tier.')]),
  ...engineTier('src-engine/base/**/*.ts', [tierImport(['core', 'app', 'protocol'], 'The base tier (tensor, rng, IR format) imports no other tier.')]),
  ...engineTier('src-engine/core/**/*.ts', [tierImport(['app', 'protocol'], 'The core tier imports only base: app code (sessions, probes, service) and the protocol stand on it, not the reverse.')]),
  // …except base/schemas.ts: the values base and the protocol both name, declared once as zod schemas (it imports only zod).
  ...engineTier('src-engine/protocol/**/*.ts', [{ regex: '(^|/)(core|app)/|(^|/)base/(?!schemas$)', message: 'The protocol is the contract between processes: it imports nothing of the engine (but base/schemas).' }]),
  // The renderer's door (src-engine/facade.ts) re-exports types and pure functions of base and core only.
  ...engineTier('src-engine/facade.ts', [tierImport(['app', 'protocol'], 'The facade re-exports types and pure functions of base and core; the renderer reaches the rest through the protocol.')]),
  {
    // The host contract (preload bridge, IPC channel names, file channel): shared by the renderer
    // and both hosts, so it may use nothing that one of them lacks.
    files: ['src-contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [electron, { name: 'react', message: 'Contracts are UI-free.' }, ...nodeBuiltins.map((name) => ({ name, message: 'Contracts run in the renderer too: no Node.' }))],
        patterns: [{ group: ['**/src-renderer/**', '**/src-main/**', '**/src-engine/**'], message: 'Contracts import nothing of the processes that share them.' }],
      }],
    },
  },
  {
    files: ['src-engine/node/**/*.ts'],
    languageOptions: { globals: globals.node },
    rules: {
      'no-restricted-imports': ['error', { paths: [electron], patterns: [{ group: ['**/src-renderer/**', '**/src-main/**'], message: 'The engine imports nothing outside it.' }] }],
    },
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': ['error', {
        paths: [electron, ...nodeBuiltins.map((name) => ({ name, message: 'The renderer reaches Node only through the preload bridge.' }))],
        patterns: [
          { group: ['**/src-main/**'], message: 'The renderer reaches hosts only through the bridge.' },
          // One door into the engine: src-engine/facade.ts (types and pure functions) and the protocol.
          { regex: '(^|/)src-engine/(?!facade$|protocol(/|$))', message: 'The renderer imports the engine only through src-engine/facade (types and pure functions) or src-engine/protocol; add what it needs to the facade.' },
        ],
      }],
    },
  },
  {
    // Components render state and call commands; what the engine is asked, and how, is the run
    // controller's (state/run-controller.ts) or a client module's (training/runs-client.ts, …).
    files: ['src-renderer/src/components/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: "CallExpression[callee.property.name=/^request/]",
        message: 'Components do not send engine requests: call the run controller (state/run-controller.ts) or a client module (training/*-client.ts).',
      }],
    },
  },
  {
    files: ['src-main/host/**/*.ts', 'src-main/web/**/*.ts'],
    languageOptions: { globals: globals.node },
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Host code shared with web mode may not import Electron.' }] }] },
  },
  {
    files: ['src-main/**/*.ts', 'scripts/**/*.{js,mjs}', 'test/**/*.{ts,tsx,mjs}', 'bench/**/*.{ts,mjs}', 'tools/**/*.{js,mjs}', '*.config.{js,ts}'],
    languageOptions: { globals: { ...globals.node } },
  },
);
