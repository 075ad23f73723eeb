/**
 * Python source from values: the one escaper every exported program's literals go through
 * (model.py, train.py, the ops' PyTorch templates; docs/export.md). A user's string (a design, dataset,
 * node or class name, a setting's text) is only ever written as a string literal by `pyString`,
 * never into a docstring or a comment, so no code point can end the literal, the line or the file:
 * test/unit/engine/export/python-source.test.ts runs what it writes under python3.
 */

/** Python source placed as it is inside a `pyLiteral` (a loss module in train.py's CONFIG): never a user's string. */
export class PythonCode {
  constructor(readonly code: string) {}
}

/** Code points written as they are in a literal besides printable ASCII: letters, numbers, punctuation, symbols (a mark after one of these). */
const KEPT = /^[\p{L}\p{N}\p{P}\p{S}]$/u;
const MARK = /^\p{M}$/u;
/** What a combining mark may follow as it is: a letter, a number or a mark written as it is (never a quote). */
const BASE = /^[\p{L}\p{N}\p{M}]$/u;
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/**
 * `s` as a Python 3 string literal (single-quoted) whose value is `s`, code point for code point.
 * Printable ASCII is written as it is (backslash and quote escaped), and so are letters, numbers,
 * punctuation and symbols of other scripts (class names stay readable); every other code point is
 * an escape: `\n`, `\r`, `\t`, `\xHH`, `\uHHHH` (a lone surrogate too, as Python keeps it) or
 * `\UHHHHHHHH` — control characters (NUL, CR), line and paragraph separators, format characters
 * (bidi overrides) and spaces other than U+0020. A backslash is always doubled, so `\N{` in `s`
 * stays text.
 *
 * @example pyString('it\'s\r\n') // "'it\\'s\\r\\n'"
 */
export function pyString(s: string): string {
  let out = "'";
  let afterKept = false;
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
      const low = s.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    const ch = String.fromCodePoint(cp);
    let text: string;
    if (cp === 0x5c) text = '\\\\';
    else if (cp === 0x27) text = "\\'";
    else if (cp >= 0x20 && cp < 0x7f) text = ch;
    else if (cp === 0x0a) text = '\\n';
    else if (cp === 0x0d) text = '\\r';
    else if (cp === 0x09) text = '\\t';
    else if (cp >= 0xa0 && (cp < 0xd800 || cp > 0xdfff) && (KEPT.test(ch) || (afterKept && MARK.test(ch)))) text = ch;
    else if (cp < 0x100) text = `\\x${hex(cp, 2)}`;
    else if (cp < 0x10000) text = `\\u${hex(cp, 4)}`;
    else text = `\\U${hex(cp, 8)}`;
    afterKept = text === ch && BASE.test(ch);
    out += text;
  }
  return `${out}'`;
}

/** A number as a Python literal: an int or float Python reads back as the same value (`-0.0`, `float('inf')`, `float('nan')`). */
export function pyNumber(n: number): string {
  if (Number.isNaN(n)) return "float('nan')";
  if (!Number.isFinite(n)) return n > 0 ? "float('inf')" : "float('-inf')";
  if (Object.is(n, -0)) return '-0.0';
  return String(n);
}

/**
 * A JSON-like value as a Python literal: null/undefined → None, booleans → True/False, numbers by
 * `pyNumber`, strings (values and keys) by `pyString`, arrays as lists and objects as dicts (keys
 * whose value is undefined left out), long ones over several lines under `indent`; a `PythonCode`
 * as its code.
 */
export function pyLiteral(v: unknown, indent = ''): string {
  if (v === null || v === undefined) return 'None';
  if (v instanceof PythonCode) return v.code;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return pyNumber(v);
  if (typeof v === 'string') return pyString(v);
  if (Array.isArray(v)) {
    const items = v.map((x) => pyLiteral(x, indent + '    '));
    const flat = `[${items.join(', ')}]`;
    if (flat.length <= 100 && !flat.includes('\n')) return flat;
    const rows: string[] = [];
    for (let i = 0; i < items.length; i += 8) rows.push(items.slice(i, i + 8).join(', '));
    return `[\n${indent}    ${rows.join(`,\n${indent}    `)},\n${indent}]`;
  }
  if (typeof v !== 'object') throw new TypeError(`pyLiteral: no Python literal for a ${typeof v}`);
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  if (entries.length === 0) return '{}';
  const flat = `{${entries.map(([k, x]) => `${pyString(k)}: ${pyLiteral(x, indent)}`).join(', ')}}`;
  if (flat.length <= 100 && !flat.includes('\n')) return flat;
  return `{\n${entries.map(([k, x]) => `${indent}    ${pyString(k)}: ${pyLiteral(x, indent + '    ')},`).join('\n')}\n${indent}}`;
}

/** A tuple of numbers as Python writes one: `()`, `(3,)`, `(3, 4)`. */
export function pyTuple(values: readonly number[]): string {
  return `(${values.map(pyNumber).join(', ')}${values.length === 1 ? ',' : ''})`;
}

/**
 * Fills `template`'s placeholders (`__CONFIG__`, …) in one pass, so a value is never read again
 * for another placeholder (a user's string that holds `__TRANSFORMS__` stays text). Each key must
 * occur exactly once in the template.
 *
 * @throws Error when a key is missing or repeated (a bug in the template or its caller).
 */
export function fillPlaceholders(template: string, values: Readonly<Record<string, string>>): string {
  const keys = Object.keys(values);
  for (const k of keys) {
    const n = template.split(k).length - 1;
    if (n !== 1) throw new Error(`The template holds ${k} ${n} times; it should hold it once.`);
  }
  const escaped = [...keys].sort((a, b) => b.length - a.length).map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return template.replace(new RegExp(escaped.join('|'), 'g'), (k) => values[k]);
}
