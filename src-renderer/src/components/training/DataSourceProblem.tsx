import { useEffect } from 'react';
import { getDataFormat, type DatasetConfig } from '../../../../src-engine/facade';
import { checkDataSource } from '../../training/data-client';
import { useEditor, useEngine, useWindow } from '../../state/window';
import type { WindowStores } from '../../state/window-stores';

/** The path of the user's own data a dataset names (docs/data.md: saved by reference), or undefined for a built-in set. */
export function userDataPath(dataset: Pick<DatasetConfig, 'options'> | undefined): string | undefined {
  const p = dataset?.options?.path;
  return typeof p === 'string' && p !== '' ? p : undefined;
}

/** The datasets that are the user's own data (docs/data.md), named by a path: those of the data formats checked when a project opens. */
export function isUserData(dataset: Pick<DatasetConfig, 'name'>): boolean {
  return getDataFormat(dataset.name)?.checked === true;
}

/** Why the saved data cannot be used as it is, in the user's words, by the loader's code. */
export function dataProblemText(code: string, path: string): { title: string; advice: string } | undefined {
  switch (code) {
    case 'DATA_CHANGED':
      return { title: `${path} has changed since this project saved it.`, advice: 'Netwright does not train on it silently: look at what it holds now and use it, or locate the data the project was made with.' };
    case 'DATA_NOT_FOUND':
      return { title: `${path} is not there any more.`, advice: 'Locate it where it is now (or choose other data).' };
    case 'DATA_NOT_ALLOWED':
      return { title: `Netwright may not read ${path} yet.`, advice: 'A project cannot open data by itself: locate it once in the file dialog (web mode: inside the workspace or the data folder).' };
    default:
      return undefined;
  }
}

/** Open the add-data flow to find the saved data again; `rescan`: scan the same path at once (accept what it holds now). */
function locate(addData: WindowStores['addData'], saved: DatasetConfig, rescan: boolean): void {
  const flow = addData.getState();
  flow.open({ kind: 'locate', saved });
  const p = userDataPath(saved);
  if (rescan && p) void flow.scan(p);
}

/**
 * The Train dock's preview when the project's own data moved, changed or is not granted: what
 * happened, and "Locate…" (and, for a change, "Look at it now"). Other errors show as they are.
 */
export function DataSourceProblem({ dataset, code, message }: { dataset: DatasetConfig; code: string; message: string }) {
  const w = useWindow();
  const path = userDataPath(dataset);
  if (!path) {
    // A design made for the user's data (a template, a file written by hand) that names none yet.
    return (
      <div className="ds-preview data-problem" data-testid="data-problem" data-code="none">
        <b>This design trains on your own data.</b> Choose a folder of images sorted by class, a table or NumPy arrays.
        <div className="data-problem__actions">
          <button type="button" className="primary" data-testid="data-problem-add" onClick={() => w.addData.getState().open()}>
            Add data…
          </button>
        </div>
      </div>
    );
  }
  const text = dataProblemText(code, path);
  if (!text) return <div className="ds-preview ds-preview--error">{message}</div>;
  return (
    <div className="ds-preview ds-preview--error data-problem" data-testid="data-problem" data-code={code}>
      <b>{text.title}</b> {text.advice}
      <div className="data-problem__actions">
        {code === 'DATA_CHANGED' ? (
          <button type="button" data-testid="data-problem-rescan" onClick={() => locate(w.addData, dataset, true)}>
            Look at it now…
          </button>
        ) : null}
        <button type="button" className="primary" data-testid="data-problem-locate" onClick={() => locate(w.addData, dataset, false)}>
          Locate…
        </button>
      </div>
    </div>
  );
}

/**
 * When a project that trains on the user's own data is opened (or the engine comes back), check
 * its fingerprint (`data.scan` with `check`: the files are read, nothing decoded) and say so at
 * once when it changed, moved or is not granted, whether the Train dock is open or not.
 */
export function useSavedDataCheck(): void {
  const w = useWindow();
  const dataset = useEditor((s) => s.history.present.graph.training?.dataset);
  const client = useEngine((s) => (s.state === 'ready' ? s.client : undefined));
  const path = userDataPath(dataset);
  const fingerprint = dataset?.options?.fingerprint;
  const kind = dataset?.name;
  useEffect(() => {
    if (!client || !path || typeof fingerprint !== 'string' || !dataset) return;
    // Just scanned and used: nothing to check.
    if (w.addData.getState().verified === `${path}\0${fingerprint}`) return;
    let live = true;
    const saved = dataset;
    const say = (code: string) => {
      const text = dataProblemText(code, path);
      if (live && text) w.session.getState().notify('error', `${text.title} ${text.advice}`, { code, action: { label: 'Locate…', run: () => locate(w.addData, saved, false) } });
    };
    checkDataSource(client, path, kind)
      .then((r) => r.fingerprint !== fingerprint && say('DATA_CHANGED'))
      .catch((err: Error & { code?: string }) => err.code && say(err.code));
    return () => {
      live = false;
    };
    // Once per data source and engine connection: not on every other edit of the dataset's settings.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, path, fingerprint, kind]);
}
