import { useState } from 'react';

/** A number field that edits on blur or Enter (so typing "0.0" does not write 0 into the design). */
export function NumberField({ label, value, testId, onCommit, min, max, integer, disabled, title }: { label: string; value: number; testId: string; onCommit: (v: number) => void; min?: number; max?: number; integer?: boolean; disabled?: boolean; title?: string }) {
  const [text, setText] = useState(String(value));
  const [shown, setShown] = useState(value);
  if (shown !== value) {
    // The design changed underneath (undo, another run's settings): show the new value.
    setShown(value);
    setText(String(value));
  }
  const ok = (t: string) => {
    const v = Number(t);
    return t.trim() !== '' && Number.isFinite(v) && (min === undefined || v >= min) && (max === undefined || v <= max) && (!integer || Number.isInteger(v));
  };
  const commit = () => (ok(text) ? Number(text) !== value && onCommit(Number(text)) : setText(String(value)));
  return (
    <label className="train-field" title={title}>
      <span>{label}</span>
      <input
        data-testid={testId}
        value={text}
        disabled={disabled}
        aria-invalid={!ok(text)}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
      />
    </label>
  );
}
