import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Types that were declared several times, each now declared once and derived where it is used
 * (#58): the files of src-engine, src-renderer and src-main that write each out.
 */
const root = path.resolve(__dirname, '../../..');
const texts = new Map(
  ['src-engine', 'src-renderer/src', 'src-main'].flatMap((dir) =>
    readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
      .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
      .map((f) => [f, readFileSync(path.join(root, f), 'utf8')] as const),
  ),
);
const writing = (pattern: RegExp) => [...texts].filter(([, t]) => pattern.test(t)).map(([f]) => f);

describe('declared once', () => {
  it('a parameter spec (an op attribute, a setting parameter, a transform parameter): catalog/attr-spec.ts; settings and transforms narrow it', () => {
    // The variants of the spec written out (`{ kind: 'int'; default: number …`): settings.ts wrote its own before.
    expect(writing(/kind: 'int'; default: number/)).toEqual(['src-engine/catalog/attr-spec.ts']);
    expect(writing(/export type (SettingParam|TransformParam) = Extract<AttrSpec,/).sort()).toEqual(['src-engine/catalog/settings.ts', 'src-engine/catalog/transforms/types.ts']);
  });

  it('the task union (classification, regression, reconstruction): catalog/tasks.ts, which derives it; nothing writes it out', () => {
    // `'classification' | 'regression' …` as a type, or as a zod enum's values: 8 files wrote one before.
    expect(writing(/'(classification|regression|reconstruction)' \| '/)).toEqual([]);
    expect(writing(/z\.enum\(\[[^\]]*'(classification|regression|reconstruction)'/)).toEqual([]);
    expect(writing(/export type Task = /)).toEqual(['src-engine/catalog/tasks.ts']);
  });
});
