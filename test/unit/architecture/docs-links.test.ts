import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The docs link into each other and the code links into the docs: every relative link of
 * README.md, CONTRIBUTING.md and docs/ (the guide and the notes included) names a file that
 * exists and, for a `.md#anchor`, a heading of that file; every `docs/….md#anchor` a source file,
 * test, bench or script names is a heading too. Moving a section (a measurement diary into
 * docs/notes/) must leave nothing pointing at a heading that is gone.
 */
const root = path.resolve(__dirname, '../../..');

function files(dir: string, keep: (name: string) => boolean): string[] {
  if (!existsSync(path.join(root, dir))) return [];
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((d) => {
    const rel = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === 'node_modules' || d.name === 'generated' || d.name === 'results' ? [] : files(rel, keep);
    return keep(d.name) ? [rel] : [];
  });
}

/** GitHub's heading slug: lower case, punctuation and symbols dropped (letters of any script kept), spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown file's headings (outside code fences), a repeated one numbered `-1`, `-2` as GitHub does. */
function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = fenced ? null : /^#{1,6}\s+(.*?)\s*#*$/.exec(line);
    if (!m) continue;
    const text = m[1].replace(/`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const s = slug(text);
    const n = seen.get(s) ?? 0;
    seen.set(s, n + 1);
    anchors.add(n ? `${s}-${n}` : s);
  }
  return anchors;
}

const anchorCache = new Map<string, Set<string>>();
function anchorsOf(file: string): Set<string> {
  let a = anchorCache.get(file);
  if (!a) anchorCache.set(file, (a = headingAnchors(readFileSync(path.join(root, file), 'utf8'))));
  return a;
}

/** What is wrong with a link `target` written in `from` (a path from the root), or undefined. */
function brokenLink(from: string, target: string): string | undefined {
  const [file, anchor] = target.split('#');
  const resolved = file ? path.normalize(path.join(path.dirname(from), decodeURIComponent(file))) : from;
  if (!existsSync(path.join(root, resolved))) return `${from}: ${target} (no such file)`;
  if (anchor && resolved.endsWith('.md') && !anchorsOf(resolved).has(decodeURIComponent(anchor))) return `${from}: ${target} (no such heading in ${resolved})`;
  return undefined;
}

describe('links into the docs', () => {
  it('slugs headings as GitHub does', () => {
    expect(slug('Winograd F(4×4, 3×3)')).toBe('winograd-f44-33');
    expect(slug("Where the GPU backend runs, per host")).toBe('where-the-gpu-backend-runs-per-host');
    expect([...headingAnchors('# A\n```\n# not a heading\n```\n## B: c\n## B: c\n')]).toEqual(['a', 'b-c', 'b-c-1']);
  });

  it('every relative link of the Markdown files names a file and heading that exist', () => {
    const markdown = [...['README.md', 'CONTRIBUTING.md'].filter((f) => existsSync(path.join(root, f))), ...files('docs', (n) => n.endsWith('.md'))];
    expect(markdown).toContain('docs/architecture.md');
    const broken: string[] = [];
    let checked = 0;
    for (const file of markdown) {
      // Links inside code (fenced blocks, inline spans) are examples, not links.
      const text = readFileSync(path.join(root, file), 'utf8')
        .replace(/```[\s\S]*?```/g, '')
        .replace(/`[^`\n]*`/g, '');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z][a-z+.-]*:/i.test(m[1])) continue; // https:, mailto:
        checked++;
        const why = brokenLink(file, m[1]);
        if (why) broken.push(why);
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(broken).toEqual([]);
  });

  it("every docs/….md#anchor the sources, tests, bench and scripts name is a heading", () => {
    const code = ['src-engine', 'src-main', 'src-renderer', 'src-contracts', 'test', 'bench', 'scripts', 'bin'].flatMap((d) => files(d, (n) => /\.(ts|tsx|mjs|js|cjs|sh|py)$/.test(n)));
    const broken: string[] = [];
    let checked = 0;
    for (const file of code) {
      for (const m of readFileSync(path.join(root, file), 'utf8').matchAll(/\bdocs\/([\w/.-]+\.md)#([\w-]+)/g)) {
        checked++;
        if (!existsSync(path.join(root, 'docs', m[1]))) broken.push(`${file}: docs/${m[1]} (no such file)`);
        else if (!anchorsOf(path.join('docs', m[1])).has(m[2])) broken.push(`${file}: docs/${m[1]}#${m[2]} (no such heading)`);
      }
    }
    expect(checked).toBeGreaterThan(3);
    expect(broken).toEqual([]);
  });
});
