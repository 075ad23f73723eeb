import type { EditorDoc } from '../editor/document';
import { autoLayout } from '../editor/layout';
import { useEditor } from '../state/editor-store';
import { usePanels, type LayoutDirection } from '../state/panels';

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
export function openTemplateDoc(doc: EditorDoc, name: string): void {
  const direction = usePanels.getState().layoutDirection;
  const layout = autoLayout(doc.graph, { direction, aspect: canvasAspect() });
  useEditor.getState().load({ graph: doc.graph, layout }, { name }, { layoutDirection: direction });
}

/** Auto-layout the open document (in `direction`, which becomes the user's choice, or its own) to fit the canvas. */
export function layoutToView(direction?: LayoutDirection): void {
  if (direction) usePanels.getState().set({ layoutDirection: direction });
  useEditor.getState().layout({ direction, aspect: canvasAspect() });
}
