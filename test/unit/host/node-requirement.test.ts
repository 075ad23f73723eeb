import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Which Node Netwright needs, said once in package.json and agreeing with what its dependencies
 * declare (package-lock.json's `engines`): `engines.node` is what the published package — the
 * `netwright` command, with its runtime dependencies only — needs, and every runtime dependency
 * accepts every version it accepts; `devEngines.runtime` is what a checkout's whole toolchain
 * accepts: exactly the versions every package, dev ones included, accepts (Electron 45 and its
 * tooling declare ≥ 22.12, eslint-visitor-keys and Vitest 4 no 23.x, eslint-visitor-keys ^22.13).
 * The README and CONTRIBUTING say both figures.
 */
const root = path.resolve(__dirname, '../../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devEngines?: { runtime?: { name: string; version: string } };
};
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean; engines?: { node?: string } | string[] }>;
};

type Version = [number, number, number];
const cmp = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** `22`, `22.12`, `22.12.0` (missing parts as 0) and how many parts were written. */
function parse(text: string): { v: Version; parts: number } {
  const m = /^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?$/.exec(text);
  if (!m) throw new Error(`not a version: ${text}`);
  const nums = [m[1], m[2], m[3]].filter((p) => p !== undefined && p !== 'x' && p !== '*');
  return { v: [Number(m[1]), Number(m[2] ?? 0) || 0, Number(m[3] ?? 0) || 0], parts: nums.length };
}

/** Whether `version` satisfies an npm range of the forms package-lock.json holds (`>=`, `>`, `<`, `<=`, `^`, `~`, a bare version, `||`, `*`). */
function satisfies(version: Version, range: string): boolean {
  return range.split('||').some((alternative) => {
    const comparators = alternative.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split(/\s+/).filter(Boolean);
    if (comparators.length === 0) return true;
    return comparators.every((c) => {
      if (c === '*' || c === 'x') return true;
      const m = /^(>=|<=|>|<|=|\^|~)?(.*)$/.exec(c)!;
      const { v, parts } = parse(m[2]);
      switch (m[1]) {
        case '>=':
          return cmp(version, v) >= 0;
        case '>':
          return cmp(version, v) > 0;
        case '<=':
          return cmp(version, v) <= 0;
        case '<':
          return cmp(version, v) < 0;
        case '^':
          return cmp(version, v) >= 0 && (v[0] > 0 ? version[0] === v[0] : version[0] === 0 && version[1] === v[1]);
        case '~':
          return cmp(version, v) >= 0 && version[0] === v[0] && (parts < 2 || version[1] === v[1]);
        default:
          // A bare or `=` version: `20` is 20.x.x, `20.9` is 20.9.x.
          return version[0] === v[0] && (parts < 2 || version[1] === v[1]) && (parts < 3 || version[2] === v[2]);
      }
    });
  });
}

/** Node versions from 18.0 to 30.40 (patch 0): the grid the ranges are compared on. */
const GRID: Version[] = Array.from({ length: 13 }, (_, i) => Array.from({ length: 41 }, (_, minor): Version => [18 + i, minor, 0])).flat();

/** The lowest version of the grid a range accepts, as `22.13`. */
function lowest(range: string): string {
  const v = GRID.find((g) => satisfies(g, range));
  if (!v) throw new Error(`no version accepts "${range}"`);
  return `${v[0]}.${v[1]}`;
}

const declared = Object.entries(lock.packages)
  .filter(([name, p]) => name !== '' && p.engines && !Array.isArray(p.engines) && p.engines.node)
  .map(([name, p]) => ({ name: name.replace(/^.*node_modules\//, ''), dev: p.dev === true || p.devOptional === true, range: (p.engines as { node: string }).node }));

describe("the Node version Netwright needs", () => {
  it('reads the ranges the lockfile holds', () => {
    expect(satisfies([20, 19, 0], '^20.19.0 || >=22.12.0')).toBe(true);
    expect(satisfies([21, 0, 0], '^20.19.0 || >=22.12.0')).toBe(false);
    expect(satisfies([22, 11, 0], '>= 22.12.0')).toBe(false);
    expect(satisfies([20, 0, 0], '18 || 20 || >=22')).toBe(true);
    expect(satisfies([19, 0, 0], '18 || 20 || >=22')).toBe(false);
    expect(satisfies([20, 9, 0], '^18.18.0 || ^20.9.0 || >=21.1.0')).toBe(true);
    expect(declared.length).toBeGreaterThan(50);
    for (const d of declared) expect(() => satisfies([20, 19, 0], d.range), `${d.name}: ${d.range}`).not.toThrow();
  });

  it("engines.node: every runtime dependency of the published package accepts every version it accepts", () => {
    const accepted = GRID.filter((v) => satisfies(v, pkg.engines.node));
    expect(accepted.length).toBeGreaterThan(0);
    const refusing = declared.filter((d) => !d.dev && accepted.some((v) => !satisfies(v, d.range))).map((d) => `${d.name} (${d.range})`);
    expect(refusing).toEqual([]);
  });

  it('devEngines.runtime: exactly the versions every package of the checkout (dev ones included) accepts', () => {
    expect(pkg.devEngines?.runtime?.name).toBe('node');
    const range = pkg.devEngines!.runtime!.version;
    const byAll = (v: Version) => declared.every((d) => satisfies(v, d.range));
    const said = GRID.filter((v) => satisfies(v, range)).map((v) => v.join('.'));
    expect(said).toEqual(GRID.filter(byAll).map((v) => v.join('.')));
    // Electron 45 is what sets the floor (>= 22.12), and the checkout needs more than the package.
    expect(declared.find((d) => d.name === 'electron')?.range).toMatch(/22\.12/);
    expect(said).not.toContain('20.19.0');
  });

  it('the README and CONTRIBUTING state both figures', () => {
    const figures = [lowest(pkg.devEngines!.runtime!.version), lowest(pkg.engines.node)];
    for (const doc of ['README.md', 'CONTRIBUTING.md']) {
      const text = readFileSync(path.join(root, doc), 'utf8');
      for (const f of figures) expect(text, doc).toContain(`Node ≥ ${f}`);
      // No other Node figure.
      const others = [...text.matchAll(/Node(?:\.js)? ≥ (\d+\.\d+)/g)].map((m) => m[1]).filter((f) => !figures.includes(f));
      expect(others, doc).toEqual([]);
    }
  });
});
