// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const electron = { name: 'electron', message: 'Only src-main/electron may import Electron.' };
const nodeBuiltins = [
  'fs', 'fs/promises', 'path', 'os', 'child_process', 'worker_threads', 'http', 'https', 'net', 'url', 'crypto', 'stream',
].flatMap((m) => [m, `node:${m}`]);

/** Import boundaries (folder = runtime); the per-runtime tsconfigs enforce the same in the compiler. */
export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**', 'src-engine/node/cpu/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src-engine/**/*.ts'],
    ignores: ['src-engine/node/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [electron, { name: 'react', message: 'The engine is UI-free.' }, ...nodeBuiltins.map((name) => ({ name, message: 'Engine core is runtime-neutral; Node-only code goes in src-engine/node.' }))],
        patterns: [{ group: ['**/src-renderer/**', '**/src-main/**', '**/node/**'], message: 'The engine core imports nothing outside it.' }],
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
        patterns: [{ group: ['**/src-main/**', '**/src-engine/node/**'], message: 'The renderer reaches hosts only through the bridge.' }],
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
