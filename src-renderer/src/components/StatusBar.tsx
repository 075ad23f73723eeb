import { type ConnectionState } from '../state/engine-store';
import { formatBytes, formatCount, formatMs } from './format';
import { selectLatencyStale } from '../state/latency-store';
import { useRunElsewhere } from './training/ElsewhereRun';
import { isLive, type RunView } from '../training/model';
import { useEditor, useEngine, useLatency, useRun, useWindow } from '../state/window';

/**
 * Where the weights the run view shows came from, when they are loaded ones (an import, a project
 * saved with them) rather than a run: the status bar says "weights from resnet18.onnx", not
 * "training: done" (#60).
 */
export const weightsShown = (s: Pick<RunView, 'phase' | 'loaded'>): string | undefined => (s.loaded && !isLive(s.phase) ? s.loaded.source : undefined);

/** The current run, if any: its state and what trains it. */
function RunStatus() {
  const phase = useRun((s) => s.phase);
  const backend = useRun((s) => s.info?.backend);
  const runId = useRun((s) => s.runId);
  const owner = useRun((s) => s.owner?.name);
  const step = useRun((s) => s.progress?.step);
  const loadedFrom = useRun(weightsShown);
  const elsewhere = useRunElsewhere();
  if (phase === 'idle') return null;
  // Weights loaded from a file (an import, a project saved with them) are no run: "training: done" said one had ended.
  if (loadedFrom !== undefined) {
    return (
      <span className="status-item" data-testid="status-run" data-state="loaded" data-run={runId ?? ''} data-project={owner ?? ''} data-elsewhere={String(elsewhere)} title={`The weights loaded from ${loadedFrom}: not trained here yet.`}>
        weights from&nbsp;<span className="status-name" data-may-truncate="true">{loadedFrom}</span>
      </span>
    );
  }
  const device = !backend || backend.startsWith('trained weights') ? undefined : backend.startsWith('WebGPU') ? 'GPU' : 'CPU';
  // A GPU run names its adapter ("WebGPU · nvidia ampere (…)" → "GPU: nvidia ampere"); the detail stays in the tooltip.
  const adapter = device === 'GPU' ? backend!.replace(/^WebGPU\s*·\s*/, '').replace(/\s*\(.*$/, '').replace(/\s*·.*$/, '') : '';
  return (
    <span className="status-item" data-testid="status-run" data-state={phase} data-run={runId ?? ''} data-project={owner ?? ''} data-elsewhere={String(elsewhere)} data-step={step ?? ''} data-device={device ?? ''} data-adapter={adapter} title={`${owner ? `The run of “${owner}”${elsewhere ? ', in the background' : ''}. ` : ''}${backend ? `Training on ${backend}` : ''}`}>
      {/* Whose run (another project's, when it trains in the background) and what it trains on: the engine's item beside it names the CPU backend, which a GPU run does not use. */}
      {/* The project's name is what gives way in a narrow window (ellipsised; whole in the tooltip), never the state. */}
      {elsewhere ? (
        // Short: the status bar is crowded at 1280 px; the device is in the tooltip.
        <>
          “<span className="status-name" data-may-truncate="true">{owner}</span>”<span>&nbsp;in the background: {phase}{step !== undefined ? ` · step ${step}` : ''}</span>
        </>
      ) : (
        <>
          {owner ? (
            <>
              training&nbsp;“<span className="status-name" data-may-truncate="true">{owner}</span>”
            </>
          ) : (
            'training'
          )}
          <span>
            : {phase}
            {device ? ` · ${device}${adapter ? `: ${adapter}` : ''}` : ''}
          </span>
        </>
      )}
    </span>
  );
}

const LABEL: Record<ConnectionState, string> = {
  connecting: 'Connecting to engine…',
  starting: 'Engine starting…',
  ready: 'Engine connected',
  crashed: 'Engine crashed',
  restarting: 'Engine restarting…',
  failed: 'Engine unavailable',
  disconnected: 'Disconnected',
};

/** The design's totals from the live compile: parameters, training memory, FLOPs per sample. */
function DesignTotals() {
  const params = useEditor((s) => s.analysis.params);
  const frozen = useEditor((s) => s.analysis.frozenParams);
  const memory = useEditor((s) => s.analysis.memoryBytes);
  const withEngine = useEditor((s) => s.analysis.memoryWithEngine === true);
  const flops = useEditor((s) => s.analysis.flopsPerSample);
  const batch = useEditor((s) => s.analysis.batchSize);
  const ms = useEditor((s) => s.analysis.elapsedMs);
  const errors = useEditor((s) => s.analysis.diagnostics.filter((d) => d.severity === 'error').length);
  const pending = useEditor((s) => s.analysisPending);
  return (
    <span className="status-item status-item--totals" data-testid="design-totals" data-params={params} data-errors={errors} data-compile-ms={ms.toFixed(2)} data-pending={pending ? 'true' : 'false'}>
      <span data-testid="total-params" data-frozen={frozen} title={frozen > 0 ? `${params.toLocaleString()} parameters: ${(params - frozen).toLocaleString()} trained, ${frozen.toLocaleString()} frozen` : `${params.toLocaleString()} trainable parameters`}>
        {formatCount(params)} params{frozen > 0 ? ` · ${formatCount(params - frozen)} trained` : ''}
      </span>
      <span data-testid="total-memory" data-engine={withEngine ? 'true' : 'false'} title={withEngine ? `The engine's peak memory training at batch ${batch ?? 1}, as Start estimates it: the engine itself, the data it keeps (the splits, and the set as loaded when it is kept for the previews), the weights as read, then the weights' copies, the trained ones' gradients and optimizer state, checkpoint copies, activations and the gradients a backward computes (none in a frozen prefix), with the probes when they are on, and the plans of the splits' last batches` : `Training memory at batch ${batch ?? 1}, before the data: the weights, the trained ones' gradients and optimizer state, checkpoint copies, activations and the gradients a backward computes (none in a frozen prefix), with the probes when they are on, and the plans of the splits' last batches once the dataset preview has counted them`}>≈{formatBytes(memory)}</span>
      <span data-testid="total-flops" title={`Forward FLOPs per sample · compiled in ${ms.toFixed(1)} ms`}>{formatCount(flops)} FLOPs/sample</span>
      <span className="status-item--muted status-compiled" title="Time of the last compile">{errors ? `${errors} error${errors > 1 ? 's' : ''} · ` : ''}compiled in {ms.toFixed(1)} ms</span>
    </span>
  );
}

/**
 * The design's forward time at batch 1 as the engine measured it (state/latency-store.ts), the
 * nodes' summed times beside it in the tooltip; greyed while the design has changed since.
 */
function DesignLatency() {
  const totals = useLatency((s) => s.totals);
  const stale = useLatency(selectLatencyStale);
  const status = useLatency((s) => s.status);
  const error = useLatency((s) => s.error);
  if (!totals) {
    if (status === 'failed') return <span className="status-item status-item--muted" data-testid="total-latency" data-stale="true" title={error}>latency not measured</span>;
    return status === 'measuring' ? <span className="status-item status-item--muted" data-testid="total-latency" data-stale="true">measuring latency…</span> : null;
  }
  const title = `${stale ? (status === 'blocked' ? 'Measured before the last edit; measured again once the design has no errors.\n' : 'Measured before the last edit; measuring again…\n') : ''}Forward at batch 1 on ${totals.backend}: ${totals.forwardMs.toFixed(3)} ms; the nodes' times, each measured alone, sum to ${totals.sumMs.toFixed(3)} ms (medians of ${totals.repeats} runs)`;
  return (
    <span className={`status-item status-latency${stale ? ' status-latency--stale' : ''}`} data-testid="total-latency" data-stale={stale ? 'true' : 'false'} title={title}>
      {formatMs(totals.forwardMs)} at batch 1
    </span>
  );
}

/** The bottom bar: engine connection, engine version, and the compute backend it trains on. */
export function StatusBar() {
  const w = useWindow();
  const state = useEngine((s) => s.state);
  const info = useEngine((s) => s.info);
  const detail = useEngine((s) => s.detail);
  const restarts = useEngine((s) => s.restarts);
  const taken = useEngine((s) => s.taken);
  return (
    <footer className="status-bar" role="status" aria-live="polite">
      <span className="status-item" data-testid="engine-status" data-state={state} title={detail ?? ''}>
        <span className={`status-dot status-dot--${state}`} aria-hidden="true" />
        {LABEL[state]}
        {detail && state !== 'ready' ? <span className="status-detail"> — {detail}</span> : null}
        {taken ? (
          <button type="button" className="status-action" data-testid="engine-use-here-status" onClick={() => w.engine.getState().useHere()}>
            Use it here
          </button>
        ) : null}
        {state === 'failed' ? (
          <button type="button" className="status-action" data-testid="engine-restart" onClick={() => w.engine.getState().restart()}>
            Restart engine
          </button>
        ) : null}
      </span>
      {info ? (
        <>
          <span className="status-item" data-testid="engine-version" data-pid={info.pid}>
            engine v{info.version}
          </span>
          <span className="status-item" data-testid="engine-backend" title={info.backend.kind === 'webgpu' ? info.backend.adapter : `${info.backend.description}: ${info.backend.threads} threads`}>
            {/* "CPU · 2 threads (WebAssembly SIMD)": the parenthesis is in the tooltip. */}
            {info.backend.description.replace(/\s*\(.*\)$/, '')}
          </span>
          {restarts > 0 ? <span className="status-item status-item--muted">restarted {restarts}×</span> : null}
        </>
      ) : null}
      <RunStatus />
      <DesignTotals />
      <DesignLatency />
    </footer>
  );
}
