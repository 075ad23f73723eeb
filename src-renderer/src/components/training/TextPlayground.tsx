import { useState } from 'react';
import { sampleText } from '../../training/model-client';
import { useEngine, useRun } from '../../state/window';

/** Characters a press of "Write" adds. */
const LENGTH = 240;

/**
 * A language model's playground: text continued from a prompt at the current weights (while the
 * run trains too), sampled at a temperature: low repeats what the model finds likeliest, high
 * takes more chances. Each "Write" draws anew (another seed).
 */
export function TextPlayground() {
  const runId = useRun((s) => s.runId);
  const stored = useRun((s) => s.stored !== undefined);
  const step = useRun((s) => s.frame?.step ?? s.progress?.step ?? 0);
  const client = useEngine((s) => s.client);
  const [prompt, setPrompt] = useState('Q: What');
  const [temperature, setTemperature] = useState(0.8);
  const [seed, setSeed] = useState(1);
  const [result, setResult] = useState<{ text?: string; error?: string; step: number; temperature: number }>();
  const [busy, setBusy] = useState(false);

  if (stored) return <p className="train-empty" data-testid="playground-stored">This is a stored run: its curves and layers are kept, its weights are not loaded here. Train it again (▶ Start) to write with it.</p>;
  if (!runId) return <p className="train-empty">Start a run: the playground writes with the model's current weights.</p>;
  const write = () => {
    if (!client || busy) return;
    setBusy(true);
    const at = { step, temperature };
    sampleText(client, { runId, prompt, length: LENGTH, temperature, seed })
      .then(
        (r) => setResult({ text: r.text, ...at }),
        (err: Error) => setResult({ error: err.message, ...at }),
      )
      .finally(() => {
        setBusy(false);
        setSeed((s) => s + 1);
      });
  };
  return (
    <div className="text-playground" data-testid="text-playground">
      <p>The model writes on from your prompt, one character at a time, at its current weights: early in training it babbles, later it picks up words and the corpus's shape.</p>
      <div className="text-playground__controls">
        <label>
          Prompt{' '}
          <input className="text-playground__prompt" value={prompt} maxLength={200} onChange={(e) => setPrompt(e.target.value)} data-testid="text-playground-prompt" onKeyDown={(e) => e.key === 'Enter' && write()} />
        </label>
        <label title="Low: the likeliest characters (repetitive); 1: the model's own odds; high: more surprising">
          Temperature {temperature.toFixed(2)}{' '}
          <input type="range" min={0} max={1.5} step={0.05} value={temperature} onChange={(e) => setTemperature(Number(e.target.value))} data-testid="text-playground-temperature" />
        </label>
        <button type="button" onClick={write} disabled={busy} data-testid="text-playground-write">
          {busy ? 'Writing…' : 'Write'}
        </button>
      </div>
      {result?.error ? <p className="train-error">{result.error}</p> : null}
      {result?.text !== undefined ? (
        <>
          <pre className="text-playground__out" data-testid="text-playground-out">
            <strong>{result.text.slice(0, Array.from(prompt).length)}</strong>
            {result.text.slice(Array.from(prompt).length)}
          </pre>
          <p className="train-empty">
            At step {result.step}, temperature {result.temperature.toFixed(2)}.
          </p>
        </>
      ) : null}
    </div>
  );
}
