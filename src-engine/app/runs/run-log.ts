/**
 * A run's log as people read it: the lines its processes wrote (a run trained elsewhere: its
 * job's stdout and stderr), its errors and its lifecycle events, one line each. `netwright runs
 * log` prints these lines and the app's Log (`runs.log`) shows them: one formatting, so both say
 * the same text.
 */
import type { RunRecord } from './types';

/** What a log line is: a line of the job's stdout or stderr, an error, or another event (launched, start…). */
export type RunLogKind = 'stdout' | 'stderr' | 'error' | 'event';

/** One line of a run's log: `n`, its place among the run's events (from 0); `t`, seconds into the run. */
export interface RunLogLine {
  n: number;
  t: number;
  kind: RunLogKind;
  text: string;
}

type EventRecord = Extract<RunRecord, { kind: 'event' }>;

/**
 * The text of one event record, as `netwright runs log` prints it: a job's output line indented
 * (`! ` before a line of stderr), `error CODE: message`, else `[event] {data as JSON}` (long
 * arrays as their length).
 *
 * @example
 * logText({ kind: 'event', t: 1, event: 'output', data: { stream: 'stderr', line: 'oops' } }); // { kind: 'stderr', text: '! oops' }
 */
export function logText(r: EventRecord): { kind: RunLogKind; text: string } {
  const d = r.data as { line?: unknown; stream?: unknown; code?: unknown; message?: unknown } | null;
  if (r.event === 'output' && typeof d?.line === 'string') return d.stream === 'stderr' ? { kind: 'stderr', text: `! ${d.line}` } : { kind: 'stdout', text: `  ${d.line}` };
  if (r.event === 'error') return { kind: 'error', text: `error ${String(d?.code)}: ${String(d?.message)}` };
  return { kind: 'event', text: `[${r.event}] ${JSON.stringify(r.data, shortArrays)}` };
}

/** Arrays longer than this are printed as their length in a log line. */
const LOG_ARRAY_ITEMS = 8;

/**
 * JSON.stringify's replacer for a log line: an array of more than `LOG_ARRAY_ITEMS` items as
 * `"[N items]"`. An engine run's `start` event carries its probe samples (784 pixels each for
 * MNIST): printed whole, they were one 60,000-character line of figures where the run's backend
 * and memory were wanted.
 */
function shortArrays(_key: string, value: unknown): unknown {
  return Array.isArray(value) && value.length > LOG_ARRAY_ITEMS ? `[${value.length} items]` : value;
}

/** A run's events in order (its log's lines). */
export const logEvents = (records: readonly RunRecord[]): EventRecord[] => records.filter((r): r is EventRecord => r.kind === 'event');

/**
 * The lines of a run's log from its `after`-th event on, the last `max` of them when there are
 * more (`skipped` says how many were left out), each at most `maxChars` long (cut with `…`):
 * what a log view that has read `after` lines asks for next. `next`: the `after` of the next ask.
 */
export function runLogSince(records: readonly RunRecord[], after: number, max: number, maxChars: number): { lines: RunLogLine[]; next: number; skipped: number } {
  const events = logEvents(records);
  const from = Math.max(Math.min(after, events.length), events.length - max);
  const lines = events.slice(from).map((r, i): RunLogLine => {
    const { kind, text } = logText(r);
    return { n: from + i, t: Number.isFinite(r.t) ? r.t : 0, kind, text: text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text };
  });
  return { lines, next: events.length, skipped: Math.max(0, from - Math.min(after, events.length)) };
}
