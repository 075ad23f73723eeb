import type { WriteCondition } from '../../../src-contracts/files';
import type { HostFiles } from '../../../src-contracts/host';
import { projectName } from '../../../src-engine/facade';
import { emptyDoc, type EditorDoc } from './document';
import { parseProject, serializeProject } from './project';
import { hostWeights, sendModelWeights, weightsRefOf, type ProjectModel, type WeightsRef, type WeightsSource } from './project-weights';
import { selectDirty } from '../state/editor-store';
import type { AwayProject } from '../state/training-store';
import type { WindowStores } from '../state/window-stores';

/** The host services the file commands need (src-renderer/src/host provides them). */
export interface FileHost {
  readonly files: HostFiles;
  setTitle(title: string, dirty: boolean): void;
  onCloseRequest(listener: () => Promise<boolean>): () => void;
}

/**
 * How the project's trained model travels (docs/export.md, "Weights kept with the project"): the
 * training side supplies the model to embed on Save and takes the one found on Open. Kept as
 * hooks so the file commands don't depend on the engine.
 */
export interface ProjectModelHooks {
  /** The model of the run on screen as Save keeps it (its weights read from the engine in parts), or undefined when nothing is trained. */
  modelForSave(): Promise<ProjectModel | undefined>;
  /**
   * A project opened with a model: load it so predictions work at once. `weights`: its weights
   * file, read from beside the project part by part (the model's tensors are then left out);
   * absent for a project that keeps them inside. Resolves once loaded (or refused, and said so):
   * false when they were not loaded.
   */
  openedWithModel(model: Record<string, unknown>, projectName: string, weights?: WeightsSource): void | boolean | Promise<void | boolean>;
}

/** Project files end in this (the host lists `*.json`). */
export const PROJECT_EXTENSION = '.netwright.json';

/** `My net` → `My net.netwright.json`; strips characters no file system likes. */
export function fileNameFor(name: string): string {
  const cleaned = [...name.trim().replace(/\.netwright\.json$|\.json$/i, '')].map((c) => (c.charCodeAt(0) < 32 || '\\/:*?"<>|'.includes(c) ? '-' : c)).join('');
  const base = cleaned.slice(0, 120) || 'Untitled';
  return `${base}${PROJECT_EXTENSION}`;
}

/** The project's name as the title, the Runs tab and the run store say it (the CLI records its runs under the same: base/ir/project.ts). */
const displayName = projectName;

/** The longest the recovery slot's next write or clear waits for the one before it (ms). */
export const RECOVERY_TURN_MS = 10_000;

/** Recovery slot content: the project text plus which file it belonged to. */
interface Recovery {
  kind: 'netwright.recovery';
  path?: string;
  /** The file's version the changes were made over (FileInfo.version). */
  version?: string;
  name: string;
  project: string;
}

/**
 * File commands over a host: New / Open / Save / Save As, the unsaved-changes prompt, the title,
 * autosave to the recovery slot and the restore offer. Create one per window (`App` does), over its stores.
 */
export class ProjectFiles {
  private autosaveTimer: ReturnType<typeof setTimeout> | undefined;
  /**
   * The weights file the open design's project names (by the editor's `loadSeq` of the design):
   * `loading` while it is read into the engine — Save waits for it, else it would write the
   * project without them and the host would remove them — and whether it `loaded`; where it did
   * not (the engine could not hold them), a Save to the same file keeps naming it.
   */
  private openedWeights: { loadSeq: number; path: string; model: Record<string, unknown>; loading: Promise<void>; loaded: boolean } | undefined;
  private disposers: (() => void)[] = [];

  /**
   * @param view How the canvas is now (its width / height, the user's layout direction): a design
   *   that comes without a layout (a bare graph file, a run's design) is laid out to fit it, not
   *   as one tall column.
   */
  constructor(
    /** The window's document, session (dialogs, notices) and yes/no questions. */
    private readonly w: Pick<WindowStores, 'editor' | 'session' | 'confirm'>,
    private readonly host: FileHost,
    private readonly autosaveMs = 1500,
    private readonly models?: ProjectModelHooks,
    private readonly view: () => { aspect?: number; direction?: 'TB' | 'LR' } = () => ({}),
  ) {}

  get nativeDialogs(): boolean {
    return this.host.files.nativeDialogs;
  }

  /** Keep the title and the recovery slot in step with the store; answer the host's close request. */
  start(): () => void {
    let last = this.w.editor.getState();
    this.updateTitle();
    this.disposers.push(
      this.w.editor.subscribe((s) => {
        if (s.history.present !== last.history.present || s.file !== last.file) {
          this.updateTitle();
          const dirty = selectDirty(s);
          if (s.history.present !== last.history.present && dirty) this.scheduleAutosave();
          // Back to the saved state (undo, save): the recovery slot must not offer stale changes.
          else if (!dirty && selectDirty(last)) void this.discardRecovery();
        }
        last = s;
      }),
      this.host.onCloseRequest(() => this.confirmDiscard('close')),
    );
    return () => {
      this.disposers.forEach((d) => d());
      this.disposers = [];
      if (this.autosaveTimer !== undefined) clearTimeout(this.autosaveTimer);
    };
  }

  private title = '';

  /** Tell the host the title and dirty marker, only when they change (not on every drag frame). */
  private updateTitle(): void {
    const s = this.w.editor.getState();
    const dirty = selectDirty(s);
    const key = `${dirty ? 1 : 0}${s.file.name}`;
    if (key === this.title) return;
    this.title = key;
    this.host.setTitle(s.file.name, dirty);
  }

  private scheduleAutosave(): void {
    if (this.autosaveTimer !== undefined) clearTimeout(this.autosaveTimer);
    this.autosaveTimer = setTimeout(() => void this.autosave(), this.autosaveMs);
  }

  /**
   * The recovery slot's writes and clears, one at a time in the order made: a save's clear sent
   * while an autosave is on its way would otherwise race it (web mode: two HTTP requests, either
   * may arrive first), and the stale draft would be offered back after the next reload.
   */
  private recoveryTurn: Promise<unknown> = Promise.resolve();

  /**
   * `op` once the slot's operations before it have ended, or RECOVERY_TURN_MS after it was asked
   * for: a host that never answers one (a lost connection) must not stop every autosave after it.
   */
  private inRecoveryTurn(op: () => Promise<void>): Promise<void> {
    const done = this.recoveryTurn.then(op);
    this.recoveryTurn = new Promise<void>((next) => {
      const late = setTimeout(next, RECOVERY_TURN_MS);
      const ended = () => {
        clearTimeout(late);
        next();
      };
      done.then(ended, ended);
    });
    return done;
  }

  /** Write the current document to the recovery slot (when it has unsaved changes, at its turn). */
  autosave(): Promise<void> {
    return this.inRecoveryTurn(async () => {
      const s = this.w.editor.getState();
      if (!selectDirty(s)) return;
      const rec: Recovery = { kind: 'netwright.recovery', path: s.file.path, ...(s.file.version ? { version: s.file.version } : {}), name: s.file.name, project: serializeProject(s.history.present, s.ui, undefined, s.file.projectId) };
      try {
        await this.host.files.writeRecovery(JSON.stringify(rec));
      } catch (e) {
        console.error(`[netwright] autosave failed: ${(e as Error).message}`);
      }
    });
  }

  /** After a crash: the unsaved document found in the recovery slot, if any. */
  async findRecovery(): Promise<{ doc: EditorDoc; name: string; path?: string; version?: string; projectId?: string; savedAt: number } | undefined> {
    try {
      const r = await this.host.files.readRecovery();
      if (!r) return undefined;
      const rec = JSON.parse(r.text) as Partial<Recovery>;
      if (rec.kind !== 'netwright.recovery' || typeof rec.project !== 'string') return undefined;
      const p = parseProject(rec.project);
      if (!p.ok) return undefined;
      const version = typeof rec.version === 'string' ? { version: rec.version } : {};
      return { doc: p.doc, name: typeof rec.name === 'string' ? rec.name : 'Recovered', path: typeof rec.path === 'string' ? rec.path : undefined, ...version, ...(p.id ? { projectId: p.id } : {}), savedAt: r.savedAt };
    } catch {
      return undefined;
    }
  }

  /**
   * Put the recovery slot's document back. `withModel` (the restore offer after a crash): changes
   * made over a saved project get its trained model back from that file, as Open loads it (the slot
   * keeps the design alone), so the next Save keeps the weights instead of dropping them; a file
   * changed since the changes were made is left (Save asks before replacing it anyway).
   */
  restore(rec: { doc: EditorDoc; name: string; path?: string; version?: string; projectId?: string }, withModel = true): void {
    this.w.editor.getState().load(rec.doc, { path: rec.path, name: rec.name, ...(rec.version ? { version: rec.version } : {}), ...(rec.projectId ? { projectId: rec.projectId } : {}) }, {}, true);
    this.w.session.getState().notify('info', 'Restored your unsaved changes from the last session.');
    for (const l of this.recoveryTaken) l();
    if (withModel && rec.path && rec.version) void this.recoverModel(rec.path, rec.version, rec.name);
  }

  /** The trained model of the project file at `path`, when it is still the version `version` and the design restored over it is still open. */
  private async recoverModel(path: string, version: string, name: string): Promise<void> {
    let file;
    try {
      file = await this.host.files.read(path);
    } catch {
      return;
    }
    const r = parseProject(file.text, this.view());
    if (file.version !== version || !r.ok || !r.model || this.w.editor.getState().file.path !== path) return;
    this.openModel(r.model, path, name);
  }

  private recoveryTaken = new Set<() => void>();

  /** Called when the recovery slot's document is restored (by the offer, or by reopening a run's project): the offer goes. */
  onRecoveryTaken(listener: () => void): () => void {
    this.recoveryTaken.add(listener);
    return () => this.recoveryTaken.delete(listener);
  }

  /**
   * Open the project a run belongs to (#32 item 8; already confirmed by the caller): `away`, its
   * document as it was left when another design was opened over it; else its unsaved state in the
   * recovery slot when the slot is this project's (a page reloaded during the run); else its file;
   * else the run's own design, as an unsaved project of that name. Whether a design was opened.
   */
  async openRunProject(owner: { name: string; path?: string }, graph: unknown, away?: AwayProject): Promise<boolean> {
    if (away) {
      this.w.editor.getState().load(away.doc, { ...(away.file.path ? { path: away.file.path } : {}), name: away.file.name, projectId: away.file.projectId }, away.ui);
      // Saved or not as it was: the file's saved document is the one it had.
      this.w.editor.setState({ file: away.file });
      return true;
    }
    const rec = await this.findRecovery();
    if (rec && (owner.path ? rec.path === owner.path : !rec.path && rec.name === owner.name)) {
      // The run on view keeps its weights on screen.
      this.restore(rec, false);
      return true;
    }
    if (owner.path && (await this.openPath(owner.path))) return true;
    const parsed = graph ? parseProject(JSON.stringify(graph), this.view()) : undefined;
    if (!parsed?.ok) return false;
    this.w.editor.getState().load(parsed.doc, { name: owner.name }, {}, true);
    return true;
  }

  discardRecovery(): Promise<void> {
    return this.inRecoveryTurn(() => this.host.files.clearRecovery().catch(() => {}));
  }

  /** Ask before dropping unsaved changes; resolves true when it is fine to go on. */
  async confirmDiscard(what: 'new' | 'open' | 'template' | 'close'): Promise<boolean> {
    const s = this.w.editor.getState();
    if (!selectDirty(s)) return true;
    const verb = { new: 'start a new project', open: 'open another project', template: 'open a template', close: 'close' }[what];
    return this.w.confirm.getState().ask('Unsaved changes', `"${s.file.name}" has changes that are not saved. Discard them and ${verb}?`, 'Discard changes');
  }

  async newProject(): Promise<void> {
    if (!(await this.confirmDiscard('new'))) return;
    this.w.editor.getState().load(emptyDoc(), { name: 'Untitled' });
    await this.discardRecovery();
  }

  /** Open: the native dialog in Electron; the in-app picker (dialog 'open') in web mode. */
  async open(): Promise<void> {
    if (!(await this.confirmDiscard('open'))) return;
    if (!this.host.files.nativeDialogs) return this.w.session.getState().setDialog('open');
    try {
      const file = await this.host.files.pickOpen();
      if (file) this.load(file.text, file.path, file.name, file.version);
    } catch (e) {
      this.w.session.getState().notify('error', `Could not open the file: ${(e as Error).message}`);
    }
  }

  /** The recent-projects list (Electron; web mode shows it inside the Open picker). */
  async openRecent(): Promise<void> {
    if (await this.confirmDiscard('open')) this.w.session.getState().setDialog('open');
  }

  /** Open a file by path (recent list, web picker). Already confirmed by the caller. */
  async openPath(path: string): Promise<boolean> {
    try {
      const file = await this.host.files.read(path);
      return this.load(file.text, file.path, file.name, file.version);
    } catch (e) {
      this.w.session.getState().notify('error', `Could not open "${path}": ${(e as Error).message}`);
      return false;
    }
  }

  /**
   * Web mode's Upload in the Open picker: a project from elsewhere on the user's computer, opened
   * as a new, unsaved project (Save asks for its name in the workspace; nothing there is replaced).
   */
  openUploaded(text: string, fileName: string): boolean {
    return this.load(text, undefined, fileName);
  }

  /** Parse and load a project text (`path` undefined: not yet saved anywhere); a bad file only shows why, and nothing else changes. */
  load(text: string, path: string | undefined, fileName: string, version?: string): boolean {
    const r = parseProject(text, this.view());
    const store = this.w.editor.getState();
    if (!r.ok) {
      this.w.session.getState().notify('error', `Could not open "${fileName}": ${r.message}`, { code: r.code });
      return false;
    }
    // A bare graph (not a project) is opened as a new, unsaved project so Save does not overwrite it with another format.
    const isProject = !r.notes.some((n) => n.startsWith('Opened a bare network'));
    const saved = isProject && path !== undefined;
    // A project keeps its id wherever it is opened from (an upload too: the same project, unsaved here).
    const id = r.id ? { projectId: r.id } : {};
    store.load(r.doc, saved ? { path, name: displayName(fileName), ...(version ? { version } : {}), ...id } : { name: displayName(fileName), ...id }, r.ui ?? {}, !saved);
    if (r.notes.length > 0) this.w.session.getState().notify('info', r.notes.join(' '));
    if (r.model) this.openModel(r.model, path, fileName);
    void this.discardRecovery();
    return true;
  }

  /** A project's trained model, handed to the training side: kept inside its file, or read from beside it (`path`). */
  private openModel(model: Record<string, unknown>, path: string | undefined, fileName: string): void {
    const ref = weightsRefOf(model);
    if (!ref) void this.models?.openedWithModel(model, displayName(fileName));
    else if (path !== undefined && this.host.files.readWeights) {
      const opened = { loadSeq: this.w.editor.getState().loadSeq, path, model, loading: Promise.resolve(), loaded: false };
      opened.loading = this.openWeights(path, model, ref, displayName(fileName)).then((loaded) => void (opened.loaded = loaded));
      this.openedWeights = opened;
    }
    else this.w.session.getState().notify('info', `"${fileName}" keeps its trained weights in a .safetensors file beside it, which did not come with it; the design opened without them. Open it where that file is, or train again.`);
  }

  /**
   * A project's weights kept beside its file, handed to the training side as the host reads them
   * (part by part: the page never holds them whole), if it is still the one open.
   */
  private async openWeights(path: string, model: Record<string, unknown>, ref: WeightsRef, name: string): Promise<boolean> {
    // Until they are in, the dock and the Export menu say so (not "no weights", not an untrained export).
    const session = this.w.session.getState();
    session.setLoadingWeights(name);
    let weights: WeightsSource | undefined;
    try {
      weights = await hostWeights(this.host.files, path, ref);
      const { weights: _ref, ...rest } = model;
      if (this.w.editor.getState().file.path !== path) return false;
      return (await this.models?.openedWithModel(rest, name, weights)) !== false;
    } catch (e) {
      const code = (e as { code?: string }).code;
      session.notify('error', `"${name}" opened without its trained weights: ${(e as Error).message}`, code ? { code } : undefined);
      return false;
    } finally {
      weights?.close();
      if (this.w.session.getState().loadingWeights === name) session.setLoadingWeights(undefined);
    }
  }

  async save(): Promise<boolean> {
    const s = this.w.editor.getState();
    if (!s.file.path) return this.saveAs();
    return this.writeTo(s.file.path, s.file.name, this.overOpenFile());
  }

  /**
   * How Save may write over the open file: over the version it was opened or saved as (or where
   * it is gone); a file whose version is not known (an unsaved project's recovered changes) only
   * where nothing is. Anything else is asked first (`writeTo`).
   */
  private overOpenFile(): WriteCondition {
    const v = this.w.editor.getState().file.version;
    return v ? { ifVersion: v } : { ifAbsent: true };
  }

  /** Save As: the native dialog in Electron; in web mode the in-app name prompt calls `saveAsName`. */
  async saveAs(): Promise<boolean> {
    const s = this.w.editor.getState();
    if (!this.host.files.nativeDialogs) {
      this.w.session.getState().setDialog('save-as');
      return false;
    }
    const path = await this.host.files.pickSave(fileNameFor(s.file.name)).catch((e: Error) => {
      this.w.session.getState().notify('error', `Could not save: ${e.message}`);
      return null;
    });
    if (!path) return false;
    // The native dialog asked before replacing a file (showOverwriteConfirmation).
    return this.writeTo(path, displayName(path.replace(/^.*[\\/]/, '')), path === s.file.path ? this.overOpenFile() : { replace: true });
  }

  /** Web mode's Save As: a name in the workspace folder, never over another file without asking. */
  async saveAsName(name: string): Promise<boolean> {
    const fileName = fileNameFor(name);
    return this.writeTo(fileName, displayName(fileName), fileName === this.w.editor.getState().file.path ? this.overOpenFile() : { ifAbsent: true });
  }

  /**
   * Write the document to `path` when `condition` holds; where it does not (a name taken, a file
   * changed since it was opened), ask before replacing the file, and change nothing if not.
   */
  private async writeTo(path: string, name: string, condition: WriteCondition): Promise<boolean> {
    const s = this.w.editor.getState();
    const before = s.history.present;
    // Saved as a new name, a design that went by the placeholder or the old project's name takes it (the Inspector said "Untitled" after Save As "my-mlp"),
    // once the file is written: a Save As that fails renames nothing (an unsaved project's title took the new name anyway).
    const graphName = before.graph.name;
    const renames = name !== s.file.name && (!graphName || graphName === 'Untitled' || graphName === s.file.name);
    const doc = renames ? { ...before, graph: { ...before.graph, name } } : before;
    // The weights the project was opened with, still on their way to the engine: saved once they are there.
    const opened = this.openedWeights?.loadSeq === s.loadSeq ? this.openedWeights : undefined;
    await opened?.loading;
    // The trained weights of the run on screen go with the project (not into the recovery slot: too big to write every edit);
    // where the file's own could not be loaded here, the same file keeps naming them.
    const model = (await this.models?.modelForSave()) ?? (opened && !opened.loaded && opened.path === path && this.w.editor.getState().loadSeq === opened.loadSeq ? { model: opened.model } : undefined);
    try {
      return await this.writeWith(path, name, condition, doc, before, renames, model);
    } finally {
      model?.weights?.close();
    }
  }

  /** `writeTo` with the model to keep (its weights sent to the host first, in parts). */
  private async writeWith(path: string, name: string, condition: WriteCondition, doc: EditorDoc, before: EditorDoc, renames: boolean, model: ProjectModel | undefined): Promise<boolean> {
    const s = this.w.editor.getState();
    // The weights go beside the file (sent in parts, whatever their size), and the file names them.
    const write = async (how: WriteCondition) => {
      const sent = model ? await sendModelWeights(this.host.files, path, model) : undefined;
      // A host without a place for weights beside the file keeps a model's JSON inside it (one with its tensors inside only).
      const text = serializeProject(doc, s.ui, sent?.model ?? (model && !model.weights ? model.model : undefined), s.file.projectId);
      return (sent ? await this.host.files.write(path, text, how, sent.id) : await this.host.files.write(path, text, how)).version;
    };
    let version: string;
    try {
      version = await write(condition);
    } catch (e) {
      const code = (e as { code?: string }).code;
      const fileName = path.replace(/^.*[\\/]/, '');
      const question =
        code === 'E_FILE_EXISTS'
          ? { title: `Replace "${name}"?`, message: `"${fileName}" already exists. Replace it with this design? What it holds now will be lost.` }
          : code === 'E_FILE_CHANGED'
            ? { title: `"${name}" changed on disk`, message: `"${fileName}" was changed since you opened it (saved from another tab or window?). Replace it with your version? The changes saved there will be lost. Cancel leaves the file as it is and yours here unsaved (Save As… can keep them under another name).` }
            : undefined;
      if (!question) {
        this.w.session.getState().notify('error', `Could not save "${name}": ${(e as Error).message}`, code ? { code } : undefined);
        return false;
      }
      if (!(await this.w.confirm.getState().ask(question.title, question.message, 'Replace'))) return false;
      try {
        version = await write({ replace: true });
      } catch (again) {
        const c = (again as { code?: string }).code;
        this.w.session.getState().notify('error', `Could not save "${name}": ${(again as Error).message}`, c ? { code: c } : undefined);
        return false;
      }
    }
    let saved = doc;
    if (renames) {
      const now = this.w.editor.getState();
      const untouched = now.history.present === before;
      now.edit({ kind: 'set-name', name }, { quiet: true });
      // Edited while it was written: what was written is not what is on screen, which stays unsaved.
      if (untouched) saved = this.w.editor.getState().history.present;
    }
    this.w.editor.getState().markSaved(saved, { path, name, version });
    this.w.session.getState().setDialog('none');
    await this.discardRecovery();
    return true;
  }

  list(): ReturnType<HostFiles['list']> {
    return this.host.files.list();
  }

  recent(): ReturnType<HostFiles['recent']> {
    return this.host.files.recent();
  }

  /** Web mode: the workspace folder and the host's data folder (absolute), and the command that started the host (`netwright web`, `npm run web --`); null in Electron. */
  async workspace(): Promise<{ path: string; dataDir: string | null; command: string } | null> {
    return (await this.host.files.workspace?.()) ?? null;
  }
}
