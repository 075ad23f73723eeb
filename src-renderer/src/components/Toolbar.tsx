import { useReactFlow } from '@xyflow/react';
import { canRedo, canUndo } from '../editor/history';
import { selectDirty } from '../state/editor-store';
import { ExportMenu } from './ExportMenu';
import { useFiles } from './files-context';
import { toggleFocus } from './panels';
import { layoutToView } from './canvas-view';
import { useEditor, useLessons, usePanels, useSession, useWindow } from '../state/window';

/**
 * A command's icon and its word; below 1440 px wide the word folds away (styles.css
 * `.toolbar__word`) so that the document's name keeps room beside the commands (at 1280×800 the
 * title read "Two moo…"). The button's `aria-label` and tooltip keep the word.
 */
function Labelled({ icon, label }: { icon: string; label: string }) {
  return (
    <>
      <span aria-hidden="true">{icon}</span>
      <span className="toolbar__word" aria-hidden="true">
        {' '}
        {label}
      </span>
    </>
  );
}

/** The menu: file commands, templates, undo/redo, layout, fit, theme and help; the title with a dirty marker. */
export function Toolbar() {
  const w = useWindow();
  const files = useFiles();
  const flow = useReactFlow();
  const name = useEditor((s) => s.file.name);
  // While a lesson queues its runs: which one trains now, e.g. "2/3" (the gallery may be closed).
  const lessonRun = useLessons((s) => {
    const l = Object.values(s.lessons).find((x) => x.status === 'running');
    return l ? `${l.current + 1}/${l.runs}` : '';
  });
  const dirty = useEditor(selectDirty);
  const undoable = useEditor((s) => canUndo(s.history));
  const redoable = useEditor((s) => canRedo(s.history));
  const theme = useSession((s) => s.theme);
  const focus = usePanels((p) => p.focus);
  const direction = useEditor((e) => e.ui.layoutDirection ?? 'TB');
  const s = w.editor.getState;
  const session = w.session.getState;
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
        <button type="button" data-testid="cmd-templates" onClick={() => session().setDialog('templates')}>Templates</button>
        <button type="button" data-testid="cmd-lessons" title="Lessons: runs that show an effect, our figures beside the reference" onClick={() => session().setDialog('lessons')}>
          {lessonRun ? `Learn ${lessonRun}` : 'Learn'}
        </button>
        <ExportMenu />
        <span className="toolbar__sep" />
        <button type="button" data-testid="cmd-undo" disabled={!undoable} onClick={() => s().undo()} title="Undo (Mod+Z)" aria-label="Undo">
          <Labelled icon="↶" label="Undo" />
        </button>
        <button type="button" data-testid="cmd-redo" disabled={!redoable} onClick={() => s().redo()} title="Redo (Mod+Shift+Z)" aria-label="Redo">
          <Labelled icon="↷" label="Redo" />
        </button>
        <button type="button" data-testid="cmd-layout" onClick={() => (layoutToView(w), setTimeout(() => void flow.fitView({ duration: 200, maxZoom: 1.25 }), 50))} title="Auto-layout (Shift+L)">Layout</button>
        <button
          type="button"
          data-testid="cmd-direction"
          data-direction={direction}
          onClick={() => (layoutToView(w, direction === 'LR' ? 'TB' : 'LR'), setTimeout(() => void flow.fitView({ duration: 200, maxZoom: 1.25 }), 50))}
          title={direction === 'LR' ? 'Reads left to right: lay out top to bottom instead' : 'Reads top to bottom: lay out left to right instead'}
          aria-label="Layout direction"
        >
          {direction === 'LR' ? '→' : '↓'}
        </button>
        <button type="button" data-testid="cmd-fit" onClick={() => void flow.fitView({ duration: 200, maxZoom: 1.25 })} title="Zoom to fit (Shift+F)">Fit</button>
        <button type="button" data-testid="cmd-focus" aria-pressed={focus} className={focus ? 'toolbar__on' : undefined} onClick={() => toggleFocus(w)} title={focus ? 'Back to designing: show the ops and the inspector (Shift+W)' : 'Watch: fold the ops and the inspector away and open the Train dock (Shift+W)'}>
          {focus ? 'Design' : 'Watch'}
        </button>
        <span className="toolbar__sep" />
        <button type="button" data-testid="cmd-theme" onClick={() => session().setTheme(theme === 'dark' ? 'light' : 'dark')} title="Light / dark theme" aria-label={theme === 'dark' ? 'Light theme' : 'Dark theme'}>
          {theme === 'dark' ? <Labelled icon="☀" label="Light" /> : <Labelled icon="☾" label="Dark" />}
        </button>
        <button type="button" data-testid="cmd-help" onClick={() => session().setDialog('help')} title="Keyboard shortcuts (?)">?</button>
      </nav>
      <span className="doc-title" title={name} data-testid="doc-title" data-dirty={dirty ? 'true' : 'false'}>
        {name}
        {dirty ? <span className="doc-title__dirty" aria-label="unsaved changes"> •</span> : null}
      </span>
    </header>
  );
}
