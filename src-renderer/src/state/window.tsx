import { createContext, useContext, type ReactNode } from 'react';
import { useStore, type StoreApi } from 'zustand';
import type { WindowStores } from './window-stores';

/** The window's stores (`createWindowStores`), provided once at the app's root. */
const WindowStoresContext = createContext<WindowStores | undefined>(undefined);

/** Give the components below the window's stores (App does, at the root; a component test, its own). */
export function WindowStoresProvider({ stores, children }: { stores: WindowStores; children?: ReactNode }) {
  return <WindowStoresContext.Provider value={stores}>{children}</WindowStoresContext.Provider>;
}

/** The window's stores and run controller, for what a component does on an event (`w.editor.getState().undo()`). */
export function useWindow(): WindowStores {
  const stores = useContext(WindowStoresContext);
  if (!stores) throw new Error('Netwright: WindowStoresProvider is missing (App provides it).');
  return stores;
}

const whole = <S,>(s: S): S => s;

/** A hook reading a narrow slice of one of the window's stores (`useEditor((s) => s.file.name)`); no selector: the whole state. */
function storeHook<S>(pick: (w: WindowStores) => StoreApi<S>) {
  function useWindowStore(): S;
  function useWindowStore<T>(selector: (s: S) => T): T;
  function useWindowStore<T>(selector?: (s: S) => T): S | T {
    return useStore(pick(useWindow()), (selector ?? whole) as (s: S) => S | T);
  }
  return useWindowStore;
}

export const useSession = storeHook((w) => w.session);
export const useEditor = storeHook((w) => w.editor);
export const useEngine = storeHook((w) => w.engine);
export const useRun = storeHook((w) => w.run);
export const useSweep = storeHook((w) => w.sweep);
export const useAddData = storeHook((w) => w.addData);
export const useConfirm = storeHook((w) => w.confirm);
export const useExport = storeHook((w) => w.exports);
export const useFieldDrafts = storeHook((w) => w.fieldDrafts);
export const useLatency = storeHook((w) => w.latency);
export const useLessons = storeHook((w) => w.lessons);
export const usePanels = storeHook((w) => w.panels);
export const useRunsUi = storeHook((w) => w.runsUi);
export const useTrainUi = storeHook((w) => w.trainUi);
