import { openTemplateDoc } from './canvas-view';
import { useEffect, useState } from 'react';
import { TEMPLATES } from '../editor/templates';
import { LessonGalleryBody } from './LessonGallery';
import { useFiles } from './files-context';
import { helpRows } from './commands';
import { Modal } from './Modal';
import { AddDataDialog } from './training/AddDataDialog';
import { WorkspaceHelp } from './WorkspaceHelp';
import { useConfirm, useEditor, useSession, useWindow } from '../state/window';

function HelpOverlay({ onClose }: { onClose(): void }) {
  return (
    <Modal title="Keyboard shortcuts" testid="help-overlay" onClose={onClose}>
      <table className="shortcuts">
        <tbody>
          {helpRows().map((s) => (
            <tr key={s.keys}>
              <td>
                <kbd>{s.keys}</kbd>
              </td>
              <td>{s.action}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Modal>
  );
}

function TemplateGallery({ onClose }: { onClose(): void }) {
  const w = useWindow();
  const files = useFiles();
  return (
    <Modal title="Templates" testid="template-gallery" onClose={onClose}>
      {TEMPLATES.length === 0 ? <p>No example networks were bundled with this build.</p> : null}
      <div className="templates">
        {TEMPLATES.map((t) => (
          <button
            key={t.id}
            type="button"
            className="template"
            data-testid={`template-${t.id}`}
            disabled={!t.doc}
            title={t.error}
            onClick={async () => {
              if (!t.doc || !(await files.confirmDiscard('template'))) return;
              openTemplateDoc(w, t.doc, t.title);
            }}
          >
            <b>{t.title}</b>
            <span>{t.error ?? `${t.nodes} nodes${t.dataset ? ` · ${t.dataset}` : ''}`}</span>
          </button>
        ))}
      </div>
    </Modal>
  );
}

/** The in-app Open list: recent files, and (web mode) the other projects in the host's workspace folder; each file once. */
function OpenPicker({ onClose }: { onClose(): void }) {
  const files = useFiles();
  const [list, setList] = useState<{ path: string; name: string; modified?: number }[] | undefined>();
  const [recent, setRecent] = useState<{ path: string; name: string }[]>([]);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    if (!files.nativeDialogs) files.list().then(setList, (e: Error) => setError(e.message));
    files.recent().then(setRecent, () => setRecent([]));
  }, [files]);
  const recentPaths = new Set(recent.map((f) => f.path));
  const others = list?.filter((f) => !recentPaths.has(f.path));
  const entry = (f: { path: string; name: string; modified?: number }) => (
    <li key={f.path}>
      <button type="button" data-testid={`open-file-${f.name}`} title={f.path} onClick={() => void files.openPath(f.path)}>
        <b>{f.name}</b>
        <span>{f.modified ? new Date(f.modified).toLocaleString() : f.path}</span>
      </button>
    </li>
  );
  return (
    <Modal title={files.nativeDialogs ? 'Recent projects' : 'Open a project'} testid="open-dialog" onClose={onClose}>
      {error ? <p className="modal__error">{error}</p> : null}
      {recent.length > 0 ? (
        <>
          <h4>Recent</h4>
          <ul className="file-list" data-testid="recent-files">
            {recent.map((f) => entry({ ...f, modified: list?.find((l) => l.path === f.path)?.modified }))}
          </ul>
        </>
      ) : files.nativeDialogs ? (
        <p>No recent projects.</p>
      ) : null}
      {!files.nativeDialogs ? (
        <>
          <h4>Workspace folder</h4>
          {list === undefined && !error ? <p>Loading…</p> : null}
          {list?.length === 0 ? <p>No projects in the workspace folder yet.</p> : null}
          {list && list.length > 0 && others?.length === 0 ? <p>No other projects in the workspace folder.</p> : null}
          <ul className="file-list">{others?.map(entry)}</ul>
          <WorkspaceHelp />
        </>
      ) : null}
    </Modal>
  );
}

/** Web mode's Save As: a name for a file in the workspace folder. */
function SaveAsPrompt({ onClose }: { onClose(): void }) {
  const files = useFiles();
  const current = useEditor((s) => s.file.name);
  const [name, setName] = useState(current);
  return (
    <Modal title="Save As" testid="save-as-dialog" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) void files.saveAsName(name);
        }}
      >
        <label className="field">
          <span className="field__label">Project name</span>
          <input className="field__input" autoFocus data-testid="save-as-name" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <div className="modal__actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" data-testid="save-as-confirm" disabled={!name.trim()}>
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}

/**
 * After a crash: offer the autosaved document, named, and said to take the place of the design
 * on screen (`onScreen`) when there is one (a run's project reopened after a reload) — so Restore does not
 * swap one design for another unawares. Answered only with its buttons: a click beside it or its ×
 * discarded the unsaved work, and "later" cannot be offered (the one recovery slot takes the next
 * edit's autosave).
 */
export function RecoveryOffer({ name, nodes, onScreen, savedAt, onRestore, onDiscard }: { name: string; nodes: number; onScreen?: string; savedAt: number; onRestore(): void; onDiscard(): void }) {
  return (
    <Modal title={`Restore unsaved work on “${name}”?`} testid="recover-dialog">
      <p data-testid="recover-what">
        Netwright found changes to <b>{name}</b> ({nodes} {nodes === 1 ? 'node' : 'nodes'}) that were not saved when it last closed ({new Date(savedAt).toLocaleString()}).
        {onScreen ? ` Restoring opens it in place of “${onScreen}”, on the canvas now.` : ''}
      </p>
      <div className="modal__actions">
        <button type="button" data-testid="recover-discard" onClick={onDiscard}>
          Discard
        </button>
        <button type="button" className="primary" data-testid="recover-restore" onClick={onRestore}>
          Restore
        </button>
      </div>
    </Modal>
  );
}

function ConfirmDialog() {
  const question = useConfirm((s) => s.question);
  const answer = useConfirm((s) => s.answer);
  if (!question) return null;
  return (
    <Modal title={question.title} testid="confirm-dialog" onClose={() => answer(false)}>
      <p>{question.message}</p>
      <div className="modal__actions">
        <button type="button" data-testid="confirm-cancel" onClick={() => answer(false)}>
          Cancel
        </button>
        <button type="button" className="danger" data-testid="confirm-ok" onClick={() => answer(true)}>
          {question.confirm}
        </button>
      </div>
    </Modal>
  );
}

/** Whichever dialog the store asks for, plus the unsaved-changes question. */
export function Dialogs() {
  const w = useWindow();
  const dialog = useSession((s) => s.dialog);
  const close = () => w.session.getState().setDialog('none');
  return (
    <>
      {dialog === 'help' ? <HelpOverlay onClose={close} /> : null}
      {dialog === 'templates' ? <TemplateGallery onClose={close} /> : null}
      {dialog === 'lessons' ? (
        <Modal title="Learn" testid="lesson-gallery" onClose={close}>
          <LessonGalleryBody />
        </Modal>
      ) : null}
      {dialog === 'open' ? <OpenPicker onClose={close} /> : null}
      {dialog === 'save-as' ? <SaveAsPrompt onClose={close} /> : null}
      {dialog === 'add-data' ? <AddDataDialog /> : null}
      <ConfirmDialog />
    </>
  );
}
