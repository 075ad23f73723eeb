import { isValidElement, type ReactElement, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import { DamagedRuns } from '../../../src-renderer/src/components/training/DamagedRuns';
import type { DamagedRun } from '../../../src-renderer/src/training/compare';

/** Every element under `node` (the component's output, not mounted: its handlers can be called as they are). */
function elements(node: ReactNode): ReactElement<Record<string, unknown>>[] {
  if (Array.isArray(node)) return node.flatMap(elements);
  if (!isValidElement<Record<string, unknown>>(node)) return [];
  return [node, ...elements(node.props.children as ReactNode)];
}

describe('the Runs tab lists a damaged run with why and Delete', () => {
  const damaged: DamagedRun[] = [
    { id: '20260105-100000-abcd', reason: '20260105-100000-abcd/run.json is not valid JSON (cut short or edited).' },
    { id: '20260102-100000-wxyz', reason: '20260102-100000-wxyz/run.json has a field that is missing or out of range (name: Too big).' },
  ];

  it('shows each damaged run\'s id and reason, with a Delete button that deletes that run', () => {
    const html = renderToStaticMarkup(<DamagedRuns damaged={damaged} onDelete={() => {}} />);
    for (const d of damaged) {
      expect(html).toContain(`data-testid="run-damaged-${d.id}"`);
      expect(html).toContain(d.reason);
      expect(html).toContain(`data-testid="run-delete-${d.id}"`);
    }
    expect(html).toContain('2 run folders cannot be read');
    const onDelete = vi.fn();
    const buttons = elements(DamagedRuns({ damaged, onDelete })).filter((e) => e.type === 'button');
    expect(buttons.map((b) => b.props['data-testid'])).toEqual(damaged.map((d) => `run-delete-${d.id}`));
    (buttons[1].props.onClick as () => void)();
    expect(onDelete).toHaveBeenCalledExactlyOnceWith(damaged[1]);
  });

  it('shows nothing when every run can be read', () => {
    expect(renderToStaticMarkup(<DamagedRuns damaged={[]} onDelete={() => {}} />)).toBe('');
  });
});
