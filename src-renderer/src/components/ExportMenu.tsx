import { Fragment, useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import { describeGenerator, generatorOf } from '../../../src-engine/facade';
import { getHost } from '../host';
import { currentExportSource, exportModel, importOnnxFile, viewOnnxFile } from '../training/export';
import { useFiles } from './files-context';
import { PickerInput } from './PickerInput';
import { QuantizeDialog } from './QuantizeDialog';
import { INT8_FORMAT } from '../training/quantize';
import { handleMenuCommand } from '../state/menu-commands';
import { useEditor, useExport, useRun, useSession, useWindow } from '../state/window';

/** While a menu is `open`, Escape or a press outside `box` closes it (that Escape claimed: a dialog under the menu stays open). */
function useDismiss(open: boolean, box: RefObject<HTMLElement | null>, close: () => void): void {
  const latest = useRef(close);
  useEffect(() => {
    latest.current = close;
  });
  useEffect(() => {
    if (!open) return;
    const dismiss = (e: Event) => {
      if (e instanceof KeyboardEvent ? e.key !== 'Escape' || e.defaultPrevented : box.current?.contains(e.target as Node)) return;
      if (e instanceof KeyboardEvent) e.preventDefault();
      latest.current();
    };
    document.addEventListener('pointerdown', dismiss);
    document.addEventListener('keydown', dismiss);
    return () => {
      document.removeEventListener('pointerdown', dismiss);
      document.removeEventListener('keydown', dismiss);
    };
  }, [open, box]);
}

/** "Import ONNX…" and "Export ▾ JSON / ONNX / PyTorch…" (the engine's export table, in its order). */
export function ExportMenu() {
  const w = useWindow();
  const files = useFiles();
  const formats = useExport((s) => s.formats);
  const busy = useExport((s) => s.busy);
  const loadingWeights = useSession((s) => s.loadingWeights);
  const chosen = useExport((s) => s.settings);
  // Re-render when what is on screen changes, so the menu says whether there is anything to export.
  const hasSource = useRun((s) => (s.runId !== undefined || s.stored !== undefined) && currentExportSource(w) !== undefined);
  // Nothing trained: the design itself, with its initial weights, when it compiles (the rows export it, marked untrained).
  const design = useEditor((s) => s.history.present.graph.nodes.length > 0 && !s.analysis.diagnostics.some((d) => d.severity === 'error'));
  // A GAN leaves as its generator (docs/export.md): the menu says so before anyone exports.
  const trained = useRun((s) => (s.stored ? undefined : s.graph));
  const generator = useMemo(() => {
    const g = trained && generatorOf(trained);
    return g ? describeGenerator(g) : undefined;
  }, [trained]);
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLSpanElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  const viewPicker = useRef<HTMLInputElement>(null);
  const [onnxOpen, setOnnxOpen] = useState(false);
  const [quantizing, setQuantizing] = useState(false);
  const onnxBox = useRef<HTMLSpanElement>(null);
  useDismiss(onnxOpen, onnxBox, () => setOnnxOpen(false));
  // The app menu's File ▸ Export… (Electron) opens this menu.
  useEffect(() => handleMenuCommand('export', () => setOpen(true)), []);
  useDismiss(open, box, () => setOpen(false));
  return (
    <>
      <button type="button" data-testid="cmd-import-onnx" onClick={() => picker.current?.click()} title="Open an ONNX model (.onnx) as a new design with its weights">
        Import ONNX…
      </button>
      <PickerInput inputRef={picker} testId="import-onnx-file" accept=".onnx" onFiles={(list) => void importOnnxFile(w, list[0], () => files.confirmDiscard('open'), getHost().files)} />
      {/* "View ONNX…" rides on Import's ▾: at 1280 px a button of its own pushed the project's name out of the toolbar. */}
      <span className="menu" ref={onnxBox}>
        <button type="button" className="menu__more" data-testid="cmd-onnx-more" aria-haspopup="menu" aria-expanded={onnxOpen} aria-label="More ONNX" title="Look at an ONNX model without importing it" onClick={() => setOnnxOpen(!onnxOpen)}>
          ▾
        </button>
        {onnxOpen ? (
          <div className="menu__list" role="menu" data-testid="onnx-menu">
            <button
              type="button"
              role="menuitem"
              data-testid="cmd-view-onnx"
              title="Its graph, shapes, parameters and opset, read-only: the open design and its weights stay as they are"
              onClick={() => {
                setOnnxOpen(false);
                viewPicker.current?.click();
              }}
            >
              View ONNX (read-only)…<small>without importing it</small>
            </button>
          </div>
        ) : null}
      </span>
      <PickerInput inputRef={viewPicker} testId="view-onnx-file" accept=".onnx" onFiles={(list) => void viewOnnxFile(w, list[0], getHost().files)} />
      {quantizing ? <QuantizeDialog onClose={() => setQuantizing(false)} /> : null}
      <span className="menu" ref={box}>
        <button type="button" data-testid="cmd-export" aria-haspopup="menu" aria-expanded={open} disabled={busy !== undefined || loadingWeights !== undefined} onClick={() => setOpen(!open)} title={loadingWeights !== undefined ? `Loading the trained weights of “${loadingWeights}”: Export waits for them (it would export the design untrained)` : hasSource ? 'Export the trained model on screen' : design ? 'Export the design with its initial weights (untrained): nothing is trained on screen yet' : 'Build a design that compiles, or open a trained model, to export it'}>
          {busy ? `Exporting ${busy.label}… ${Math.round(busy.fraction * 100)}%` : 'Export ▾'}
        </button>
        {busy?.cancel ? (
          <button type="button" data-testid="cmd-export-cancel" onClick={busy.cancel} title={`Stop exporting ${busy.label}: what was written so far is removed`}>
            Cancel
          </button>
        ) : null}
        {open ? (
          <div className="menu__list" role="menu" data-testid="export-menu">
            {formats.length === 0 ? <div className="menu__note">Waiting for the engine…</div> : null}
            {formats.map((f) => (
              <Fragment key={f.id}>
                <button
                  type="button"
                  role="menuitem"
                  data-testid={`export-${f.id}`}
                  title={f.doc}
                  onClick={() => {
                    setOpen(false);
                    void exportModel(w, getHost().files, f.id);
                  }}
                >
                  {f.label}…<small>{f.kind === 'folder' ? 'a folder' : f.name}</small>
                </button>
                {f.settings.length > 0 ? (
                  <div className="menu__settings" data-testid={`export-${f.id}-settings`}>
                    {f.settings.map((x) => (
                      <label key={x.key} title={x.doc}>
                        {x.label}
                        <select data-testid={`export-${f.id}-${x.key}`} value={chosen[f.id]?.[x.key] ?? x.default} onChange={(e) => w.exports.getState().setSetting(f.id, x.key, e.target.value)}>
                          {x.choices.map((c) => (
                            <option key={c.value} value={c.value}>
                              {c.label}
                            </option>
                          ))}
                        </select>
                      </label>
                    ))}
                  </div>
                ) : null}
              </Fragment>
            ))}
            {formats.some((f) => f.id === INT8_FORMAT) ? (
              <button
                type="button"
                role="menuitem"
                data-testid="cmd-quantize"
                title="Quantise to int8 and measure it beside float32 (metric, size, the classes that moved, each layer's sensitivity) before exporting it"
                onClick={() => {
                  setOpen(false);
                  setQuantizing(true);
                }}
              >
                Quantize…<small>int8 beside float32</small>
              </button>
            ) : null}
            {generator && hasSource ? (
              <div className="menu__note" data-testid="export-holds">
                A GAN: ONNX and PyTorch hold {generator}. JSON keeps the whole GAN.
              </div>
            ) : null}
            {!hasSource ? (
              <div className="menu__note" data-testid="export-untrained-note" data-design={String(design)}>
                {design ? 'Nothing trained on screen yet: each format exports the design with its initial weights, marked untrained in the file and its name. Train it for a model that predicts.' : 'Nothing to export yet: build a design that compiles (Problems says what stops it), or open a saved model or a stored run.'}
              </div>
            ) : null}
          </div>
        ) : null}
      </span>
    </>
  );
}
