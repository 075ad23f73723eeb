import { useEffect, useRef, useState } from 'react';
import { useWindow } from '../state/window';

let burst = 0;

/** What a field makes of its text: apply it (with an optional warning shown under it), or why not. */
export type FieldParse = { ok: true; apply(coalesce: string): boolean; warning?: string } | { ok: false; message: string };

/**
 * The line under a field: why what was typed is not used (`role="alert"`, with how to get the
 * previous value back), or a warning about a value that is used.
 */
export function FieldMessage({ testid, error, warning, previous }: { testid: string; error?: string; warning?: string; previous?: string }) {
  if (error) {
    return (
      <span className="field__error" data-testid={`${testid}-error`} role="alert">
        {error} {previous !== undefined ? <span className="field__hint">(Esc restores {previous === '' ? 'the previous value' : `“${previous}”`})</span> : null}
      </span>
    );
  }
  return warning ? (
    <span className="field__warning" data-testid={`${testid}-warning`}>
      {warning}
    </span>
  ) : null;
}

/**
 * A text field validated as typed: an invalid value stays in the field with the reason under it
 * and is not applied, also after the field loses focus (so the user can see and fix what they
 * typed); Escape puts the design's value back. A valid one is applied at once (`applyOn:
 * 'change'`, one undo step per focus burst) or on Enter / leaving the field (`'commit'`: settings
 * whose every change costs work, a dataset preview). A valid value outside the usual range is
 * applied with a warning under it. An invalid draft is also held in `useFieldDrafts` (under
 * `problemLabel`, else `label`) while the field shows it, so Problems lists it and Start refuses.
 */
export function TextField(props: { label: string; testid: string; value: string; placeholder?: string; doc?: string; disabled?: boolean; applyOn?: 'change' | 'commit'; variant?: 'inspector' | 'train'; problemLabel?: string; nodeId?: string; parse(text: string): FieldParse }) {
  const w = useWindow();
  const [draft, setDraft] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const { testid, nodeId } = props;
  const label = props.problemLabel ?? props.label;
  useEffect(() => {
    const drafts = w.fieldDrafts.getState();
    if (error === undefined) drafts.drop(testid);
    else drafts.put({ field: testid, label, text: draft ?? props.value, message: error, ...(nodeId !== undefined ? { nodeId } : {}) });
  }, [error, draft, testid, label, nodeId, props.value, w.fieldDrafts]);
  // A field that goes (another node selected, another corruption chosen) takes its draft with it.
  useEffect(() => () => w.fieldDrafts.getState().drop(testid), [testid, w.fieldDrafts]);
  const key = useRef('');
  const onCommit = props.applyOn === 'commit';
  const train = props.variant === 'train';
  const apply = (text: string) => {
    const r = props.parse(text);
    if (!r.ok) return setError(r.message);
    setError(r.apply(key.current) ? undefined : 'Not applied.');
  };
  const commit = () => {
    if (draft === undefined) return;
    if (!onCommit) {
      if (error === undefined) setDraft(undefined);
      return;
    }
    const r = props.parse(draft);
    if (!r.ok) return setError(r.message);
    if (draft !== props.value && !r.apply(key.current)) return setError('Not applied.');
    setError(undefined);
    setDraft(undefined);
  };
  const shown = draft ?? props.value;
  const parsed = error === undefined ? props.parse(shown) : undefined;
  const warning = parsed?.ok ? parsed.warning : undefined;
  return (
    <label className={train ? 'train-field' : 'field'} title={props.doc}>
      <span className={train ? undefined : 'field__label'}>{props.label}</span>
      <input
        className={train ? undefined : error ? 'field__input field__input--invalid' : 'field__input'}
        data-testid={props.testid}
        aria-invalid={error ? true : undefined}
        value={shown}
        placeholder={props.placeholder}
        disabled={props.disabled}
        onFocus={() => (key.current = `field:${props.testid}:${++burst}`)}
        onChange={(e) => {
          const text = e.target.value;
          setDraft(text);
          if (onCommit) {
            const r = props.parse(text);
            setError(r.ok ? undefined : r.message);
          } else apply(text);
        }}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
          else if (e.key === 'Escape' && error !== undefined) {
            // Escape here reverts the field; it does not also clear the selection.
            e.stopPropagation();
            setDraft(undefined);
            setError(undefined);
          }
        }}
      />
      <FieldMessage testid={props.testid} error={error} warning={warning} previous={props.value} />
    </label>
  );
}
