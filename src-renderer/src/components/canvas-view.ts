import type { EditorDoc } from '../editor/document';
import { autoLayout } from '../editor/layout';
import { type LayoutDirection } from '../state/panels';
import type { WindowStores } from '../state/window-stores';

/** Width / height of the canvas on screen (undefined before it is laid out). */
export function canvasAspect(): number | undefined {
  const r = document.querySelector('[data-testid=canvas]')?.getBoundingClientRect();
  return r && r.width > 0 && r.height > 0 ? r.width / r.height : undefined;
}

/**
 * Open a template: laid out in the user's chosen direction and folded to the canvas as it is now.
 * Unchanged it holds no unsaved work (Save still asks for a name): opening another design after
 * it asks nothing, and nothing of it goes to the recovery slot until it is edited.
 */
export function openTemplateDoc(w: Pick<WindowStores, 'editor' | 'panels'>, doc: EditorDoc, name: string): void {
  const direction = w.panels.getState().layoutDirection;
  const layout = autoLayout(doc.graph, { direction, aspect: canvasAspect() });
  w.editor.getState().load({ graph: doc.graph, layout }, { name }, { layoutDirection: direction });
}

/** Auto-layout the open document (in `direction`, which becomes the user's choice, or its own) to fit the canvas. */
export function layoutToView(w: Pick<WindowStores, 'editor' | 'panels'>, direction?: LayoutDirection): void {
  if (direction) w.panels.getState().set({ layoutDirection: direction });
  w.editor.getState().layout({ direction, aspect: canvasAspect() });
}
