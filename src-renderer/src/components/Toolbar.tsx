import { useReactFlow } from '@xyflow/react';
import { canRedo, canUndo } from '../editor/history';
import { selectDirty, useEditor } from '../editor/store';
import { ExportMenu } from './ExportMenu';
import { useFiles } from './files-context';

/** The menu: file commands, templates, undo/redo, layout, fit, theme and help; the title with a dirty marker. */
export function Toolbar() {
  const files = useFiles();
  const flow = useReactFlow();
  const name = useEditor((s) => s.file.name);
  const dirty = useEditor(selectDirty);
  const undoable = useEditor((s) => canUndo(s.history));
  const redoable = useEditor((s) => canRedo(s.history));
  const theme = useEditor((s) => s.theme);
  const s = useEditor.getState;
  return (
    <header className="title-bar">
      <span className="brand">Netwright</span>
      <nav className="toolbar" aria-label="Commands">
        <button type="button" data-testid="cmd-new" onClick={() => void files.newProject()} title="New project (Mod+N)">New</button>
        <button type="button" data-testid="cmd-open" onClick={() => void files.open()} title="Open… (Mod+O)">Open…</button>
        {files.nativeDialogs ? (
          <button type="button" data-testid="cmd-recent" onClick={() => void files.openRecent()} title="Recent projects">
            Recent…
          </button>
        ) : null}
        <button type="button" data-testid="cmd-save" onClick={() => void files.save()} title="Save (Mod+S)">Save</button>
        <button type="button" data-testid="cmd-save-as" onClick={() => void files.saveAs()} title="Save As… (Mod+Shift+S)">Save As…</button>
        <button type="button" data-testid="cmd-templates" onClick={() => s().setDialog('templates')}>Templates</button>
        <ExportMenu />
        <span className="toolbar__sep" />
        <button type="button" data-testid="cmd-undo" disabled={!undoable} onClick={() => s().undo()} title="Undo (Mod+Z)">Undo</button>
        <button type="button" data-testid="cmd-redo" disabled={!redoable} onClick={() => s().redo()} title="Redo (Mod+Shift+Z)">Redo</button>
        <button type="button" data-testid="cmd-layout" onClick={() => (s().layout(), setTimeout(() => void flow.fitView({ duration: 200, maxZoom: 1.25 }), 50))} title="Auto-layout (Shift+L)">Layout</button>
        <button type="button" data-testid="cmd-fit" onClick={() => void flow.fitView({ duration: 200, maxZoom: 1.25 })} title="Zoom to fit (Shift+F)">Fit</button>
        <span className="toolbar__sep" />
        <button type="button" data-testid="cmd-theme" onClick={() => s().setTheme(theme === 'dark' ? 'light' : 'dark')} title="Light / dark theme">
          {theme === 'dark' ? '☀ Light' : '☾ Dark'}
        </button>
        <button type="button" data-testid="cmd-help" onClick={() => s().setDialog('help')} title="Keyboard shortcuts (?)">?</button>
      </nav>
      <span className="doc-title" data-testid="doc-title" data-dirty={dirty ? 'true' : 'false'}>
        {name}
        {dirty ? <span className="doc-title__dirty" aria-label="unsaved changes"> •</span> : null}
      </span>
    </header>
  );
}
