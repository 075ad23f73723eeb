import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Canvas } from './components/Canvas';
import { Dialogs, RecoveryOffer } from './components/Dialogs';
import { FilesContext } from './components/files-context';
import { Inspector } from './components/Inspector';
import { NoticeView } from './components/NoticeView';
import { EngineTaken } from './components/EngineTaken';
import { OnnxView } from './components/OnnxView';
import { Palette } from './components/Palette';
import { ProblemsPanel } from './components/ProblemsPanel';
import { StatusBar } from './components/StatusBar';
import { Toolbar } from './components/Toolbar';
import { TrainDock } from './components/training/TrainDock';
import { PanelRail } from './components/panels';
import { canvasAspect } from './components/canvas-view';
import { COMMANDS, commandForKey, commandRuns, type CommandContext } from './components/commands';
import { dialogOpen } from './components/dialog-escape';
import { MENU_COMMANDS, type RendererMenuCommandId } from '../../src-contracts/app-menu';
import { handleMenuCommand, runMenuCommand } from './state/menu-commands';
import { openFromHost } from './editor/open-from-host';
import type { EditorDoc } from './editor/document';
import { ProjectFiles } from './editor/files';
import { getHost } from './host';
import { inspectorShown, paletteShown, type PanelPrefs } from './state/panels';
import { connectExport, loadProjectModel, modelForSave } from './training/export';
import { createWindowStores } from './state/window-stores';
import { WindowStoresProvider, useEditor, useEngine, usePanels, useSession, useWindow } from './state/window';

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

/** The keyboard commands (components/commands.ts, which the help overlay lists too), bound to the window. */
function useShortcuts(files: ProjectFiles) {
  const w = useWindow();
  const flow = useReactFlow();
  useEffect(() => {
    const ctx: CommandContext = { w, files, fitView: () => void flow.fitView({ duration: 200, maxZoom: 1.25 }) };
    const onKey = (e: KeyboardEvent) => {
      const command = commandForKey(e);
      if (!command?.run) return;
      const dialog = dialogOpen(window) || w.session.getState().dialog !== 'none' || w.confirm.getState().question !== undefined;
      if (!commandRuns(command, { typing: isTyping(e.target), dialog })) return;
      if (!command.browserDefault) e.preventDefault();
      command.run(ctx);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [files, flow, w]);
}

/** The keyboard table's commands the app menu offers too (their keys the menu shows). */
const MENU_KEYBOARD = COMMANDS.filter((c) => c.run && Object.hasOwn(MENU_COMMANDS, c.id));

/**
 * Electron: the app menu's commands (the keyboard table's run here; the Export menu and the Train
 * dock register theirs) and the files the app is asked to open from outside.
 */
function useHostMenu(files: ProjectFiles) {
  const w = useWindow();
  const flow = useReactFlow();
  useEffect(() => {
    const host = getHost();
    const ctx: CommandContext = { w, files, fitView: () => void flow.fitView({ duration: 200, maxZoom: 1.25 }) };
    const offs = MENU_KEYBOARD.map((c) => handleMenuCommand(c.id as RendererMenuCommandId, () => c.run!(ctx)));
    const offMenu = host.onMenuCommand?.((id) => {
      const r = runMenuCommand(id);
      if (r.outcome === 'unavailable') w.session.getState().notify('info', `${r.label} is not available right now: open the Train dock, or train the design first.`);
    });
    const offOpen = host.onOpenFile?.((file) => void openFromHost(w, file, files));
    return () => {
      offs.forEach((off) => off());
      offMenu?.();
      offOpen?.();
    };
  }, [files, flow, w]);
}

function Workspace({ files }: { files: ProjectFiles }) {
  const w = useWindow();
  useShortcuts(files);
  useHostMenu(files);
  const theme = useSession((s) => s.theme);
  const showPalette = usePanels(paletteShown);
  const showInspector = usePanels(inspectorShown);
  const focus = usePanels((s) => s.focus);
  const appRef = useRef<HTMLDivElement>(null);
  // Sizes go straight to CSS variables: dragging a splitter re-renders nothing.
  useEffect(() => {
    const apply = (p: PanelPrefs) => {
      const el = appRef.current;
      if (!el) return;
      el.style.setProperty('--palette-w', paletteShown(p) ? `${p.paletteWidth}px` : 'var(--rail-w)');
      el.style.setProperty('--inspector-w', inspectorShown(p) ? `${p.inspectorWidth}px` : 'var(--rail-w)');
      el.style.setProperty('--dock-h', `${p.focus ? p.focusDockHeight : p.dockHeight}px`);
      el.style.setProperty('--problems-h', `${p.problemsHeight}px`);
    };
    apply(w.panels.getState());
    return w.panels.subscribe(apply);
  }, [w.panels]);
  // The design a restore would replace: none on a fresh page, a run's project reopened after a reload.
  const onScreen = useEditor((s) => (s.history.present.graph.nodes.length > 0 ? s.file.name : undefined));
  const [recovery, setRecovery] = useState<{ doc: EditorDoc; name: string; path?: string; savedAt: number } | undefined>();
  useEffect(() => {
    const stop = files.start();
    // Reopening a run's project may take the recovered document (a reload during a run): no offer then.
    let taken = false;
    void files.findRecovery().then((r) => taken || setRecovery(r));
    const offTaken = files.onRecoveryTaken(() => {
      taken = true;
      setRecovery(undefined);
    });
    return () => {
      stop();
      offTaken();
    };
  }, [files]);
  return (
    <div className="app" data-theme={theme} data-testid="app" data-focus={String(focus)} ref={appRef}>
      <Toolbar />
      <main className="workspace">
        {showPalette ? <Palette /> : <PanelRail side="left" label="Ops" testId="palette-rail" onOpen={() => w.panels.getState().set({ paletteOpen: true, focus: false })} />}
        <div className="centre">
          <Canvas />
          <ProblemsPanel />
          <TrainDock />
        </div>
        {showInspector ? <Inspector /> : <PanelRail side="right" label="Inspector" testId="inspector-rail" onOpen={() => w.panels.getState().set({ inspectorOpen: true, focus: false })} />}
      </main>
      <StatusBar />
      <EngineTaken />
      <OnnxView />
      <Dialogs />
      {recovery ? (
        <RecoveryOffer
          name={recovery.name}
          nodes={recovery.doc.graph.nodes.length}
          onScreen={onScreen}
          savedAt={recovery.savedAt}
          onRestore={() => {
            files.restore(recovery);
            setRecovery(undefined);
          }}
          onDiscard={() => {
            void files.discardRecovery();
            setRecovery(undefined);
          }}
        />
      ) : null}
      <NoticeView />
    </div>
  );
}

/** The window's file commands, run controller and export wiring, over its stores (`WindowStoresProvider` above). */
function WindowRoot() {
  const w = useWindow();
  const connect = useEngine((s) => s.connect);
  useEffect(() => connect(), [connect]);
  const files = useMemo(
    () =>
      new ProjectFiles(w, getHost(), undefined, { modelForSave: () => modelForSave(w), openedWithModel: (model, name, weights) => loadProjectModel(w, model, name, weights) }, () => ({
        aspect: canvasAspect(),
        direction: w.panels.getState().layoutDirection,
      })),
    [w],
  );
  // A page reloaded during a run comes back to the run's project (#32 item 8).
  useEffect(() => w.runs.connect({ reopen: (owner, graph) => files.openRunProject(owner, graph) }), [w, files]);
  useEffect(() => connectExport(w), [w]);
  return (
    <FilesContext.Provider value={files}>
      <ReactFlowProvider>
        <Workspace files={files} />
      </ReactFlowProvider>
    </FilesContext.Provider>
  );
}

/** The app: this window's stores (`createWindowStores`), made once and provided to everything below. */
export function App() {
  const [stores] = useState(createWindowStores);
  return (
    <WindowStoresProvider stores={stores}>
      <WindowRoot />
    </WindowStoresProvider>
  );
}
