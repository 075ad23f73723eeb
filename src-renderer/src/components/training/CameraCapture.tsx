import { useEffect, useRef, useState } from 'react';
import { bytesToBase64 } from '../../../../src-engine/facade';
import { getHost } from '../../host';
import { grabFrame, useCamera } from '../../training/camera';
import { useAddData } from '../../state/window';

/** Seconds counted down before a burst, so the user can get into the picture. */
const COUNTDOWN = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * "Take photos…" in Add data… (docs/data.md "The camera"): a live preview, a class name, a 3-2-1
 * countdown and a burst of frames saved into `<folder>/<class>/` (web mode: the workspace's
 * `data/<name>`; Electron: a folder the user picks), numbered after those there, never over a
 * file; then "Scan" opens the folder as Add data… opens any image folder. The camera stops when
 * this panel goes (Back, a scan, the dialog closing).
 */
export function CameraCapture({ onBack }: { onBack: () => void }) {
  const files = getHost().files;
  const scan = useAddData((s) => s.scan);
  const { video, state, error, start, stop } = useCamera();
  const [settings, setSettings] = useState<CaptureSettings>({ folder: files.pickDataset ? '' : 'camera', className: '', count: 10, interval: 200, format: 'jpg' });
  const set = (patch: Partial<CaptureSettings>) => setSettings((now) => ({ ...now, ...patch }));
  const { folder, className, count, interval, format } = settings;
  const [countdown, setCountdown] = useState<number>();
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<Record<string, number>>({});
  const [last, setLast] = useState<{ folder: string; names: string[] }>();
  const [saveError, setSaveError] = useState<string>();
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    void start();
    return () => void (alive.current = false);
  }, [start]);
  /** Web mode names a folder under the workspace's data/; Electron uses the one picked. */
  const root = files.pickDataset ? folder : folder.trim() ? `data/${folder.trim()}` : '';
  const cls = className.trim();
  const ready = state === 'on' && !busy && cls !== '' && root !== '' && count >= 1;

  const burst = async () => {
    const el = video.current;
    if (!el) return;
    setBusy(true);
    setSaveError(undefined);
    try {
      for (let s = COUNTDOWN; s > 0; s--) {
        setCountdown(s);
        await sleep(1000);
        if (!alive.current) return;
      }
      setCountdown(0);
      const frames: string[] = [];
      for (let i = 0; i < count; i++) {
        if (i > 0) await sleep(interval);
        if (!alive.current) return;
        frames.push(bytesToBase64(new Uint8Array(await (await grabFrame(el, format)).arrayBuffer())));
      }
      setCountdown(undefined);
      const r = await files.saveCaptures(root, cls, format, frames);
      if (!alive.current) return;
      setLast(r);
      setSaved((m) => ({ ...m, [cls]: (m[cls] ?? 0) + r.names.length }));
    } catch (e) {
      setSaveError((e as Error).message);
    } finally {
      if (alive.current) {
        setCountdown(undefined);
        setBusy(false);
      }
    }
  };

  return (
    <div className="camera-capture" data-testid="camera-capture">
      <div className="camera-capture__view">
        <video ref={video} className="camera-capture__video" data-testid="camera-preview" data-state={state} muted playsInline />
        {countdown !== undefined ? (
          <div className="camera-capture__countdown" data-testid="camera-countdown">
            {countdown > 0 ? countdown : '●'}
          </div>
        ) : null}
        {state !== 'on' ? <p className="camera-capture__idle">{state === 'starting' ? 'Starting the camera…' : 'The camera is off.'}</p> : null}
      </div>
      <div className="camera-capture__form">
        {error ? (
          <p className="modal__error" data-testid="camera-error" data-code={error.code}>
            {error.message}
          </p>
        ) : null}
        <CaptureFields settings={settings} set={set} pick={files.pickDataset} />
        <div className="add-data__actions">
          <button type="button" className="primary" data-testid="camera-burst" disabled={!ready} title={cls ? undefined : 'Name the class first'} onClick={() => void burst()}>
            {busy ? 'Taking photos…' : `Take ${count} photo${count === 1 ? '' : 's'}`}
          </button>
          {state === 'off' ? (
            <button type="button" data-testid="camera-start" onClick={() => void start()}>
              Start the camera
            </button>
          ) : null}
        </div>
        {saveError ? <p className="modal__error" data-testid="camera-save-error">{saveError}</p> : null}
        {last ? (
          <p className="add-data__note" data-testid="camera-saved" data-count={last.names.length}>
            Saved {last.names.length} photo{last.names.length === 1 ? '' : 's'} to <code>{last.folder}</code> ({last.names[0]}
            {last.names.length > 1 ? ` … ${last.names[last.names.length - 1]}` : ''}).
          </p>
        ) : null}
        {Object.keys(saved).length ? (
          <ul className="camera-capture__classes" data-testid="camera-classes">
            {Object.entries(saved).map(([c, n]) => (
              <li key={c}>
                <b>{c}</b>: {n} this session
              </li>
            ))}
          </ul>
        ) : null}
        <div className="add-data__actions">
          <button
            type="button"
            data-testid="camera-scan"
            disabled={busy || !last}
            title="Scan the folder (every class in it) as Add data… scans any image folder"
            onClick={() => {
              stop();
              void scan(root);
            }}
          >
            Use the folder…
          </button>
          <button
            type="button"
            onClick={() => {
              stop();
              onBack();
            }}
          >
            Back
          </button>
        </div>
      </div>
    </div>
  );
}

/** What a burst takes: where, which class, how many frames how far apart, and as what. */
interface CaptureSettings {
  folder: string;
  className: string;
  count: number;
  interval: number;
  format: 'png' | 'jpg';
}

/** The burst's fields: the folder (web mode: a name under data/; Electron: one picked), the class, frames, interval and format. */
function CaptureFields({ settings, set, pick }: { settings: CaptureSettings; set: (patch: Partial<CaptureSettings>) => void; pick: ((kind: 'folder') => Promise<string | null>) | undefined }) {
  const { folder, className, count, interval, format } = settings;
  return (
    <>
      {pick ? (
        <label>
          Folder
          <span className="camera-capture__row">
            <code title={folder}>{folder || 'none chosen'}</code>
            <button type="button" onClick={() => void pick('folder').then((p) => p && set({ folder: p }))}>
              Choose…
            </button>
          </span>
        </label>
      ) : (
        <label>
          Folder in the workspace’s data/
          <input data-testid="camera-folder" value={folder} maxLength={64} onChange={(e) => set({ folder: e.target.value })} />
        </label>
      )}
      <label>
        Class name
        <input data-testid="camera-class" value={className} maxLength={64} placeholder="e.g. thumbs-up" onChange={(e) => set({ className: e.target.value })} />
      </label>
      <span className="camera-capture__row">
        <label>
          Frames
          <input type="number" data-testid="camera-count" min={1} max={60} value={count} onChange={(e) => set({ count: Math.max(1, Math.min(60, Math.round(Number(e.target.value) || 1))) })} />
        </label>
        <label>
          every (ms)
          <input type="number" min={50} max={2000} step={50} value={interval} onChange={(e) => set({ interval: Math.max(50, Math.min(2000, Number(e.target.value) || 200)) })} />
        </label>
        <label>
          as
          <select value={format} onChange={(e) => set({ format: e.target.value as 'png' | 'jpg' })}>
            <option value="jpg">JPEG</option>
            <option value="png">PNG</option>
          </select>
        </label>
      </span>
    </>
  );
}
