/**
 * A table model's PyTorch project reads new rows of its table (docs/export.md "Table models"):
 * `table.json` (the model's `TableEncoding`, core/data/table-encoding.ts) and `encode_row` in
 * model.py, a port of `encodeTableRow`.
 */

/**
 * model.py's tail for a model with a table encoding. NOTE: a cell's number is read as JavaScript's
 * `Number()` reads it (decimal with an exponent, or 0x / 0b / 0o; surrounding whitespace ignored;
 * not finite: none), where Python's `float()` would also take `inf`, `nan` and `1_000`; a missing
 * cell is empty or a missing-value marker (isMissing: NaN, NA, N/A, null, None, ? in any case), untrimmed, as the engine's.
 */
export const ENCODE_ROW_PY = `

# ── Table: how a row of the table's columns becomes the input (table.json, as Netwright read its rows) ──
import json as _json
import math as _math
import os as _os
import re as _re

TABLE = _json.load(open(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), 'table.json'), encoding='utf-8'))
_MISSING = _re.compile(r'(nan|na|n/a|null|none|\\?)', _re.IGNORECASE)
_DECIMAL = _re.compile(r'[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?')
_RADIX = _re.compile(r'0([xX][0-9a-fA-F]+|[bB][01]+|[oO][0-7]+)')


def _is_missing(s):
    return s == '' or _MISSING.fullmatch(s) is not None


def _number(s):
    """A cell's number as Netwright reads it (JavaScript's Number()), NaN when it is none or not finite."""
    t = s.strip()
    if _DECIMAL.fullmatch(t):
        v = float(t)
        return v if _math.isfinite(v) else float('nan')
    if _RADIX.fullmatch(t):
        return float(int(t, 0))
    return float('nan')


def encode_row(row, table=None):
    """One row, a dict of column name to cell text (as csv.DictReader gives), as the model's input: a float tensor [width].

    Columns the model does not read (the target) are ignored; a gap where training had none, a number
    column's text or a category training never saw raise ValueError, as netwright predict refuses them.
    """
    t = table or TABLE
    out = []
    for c in t['columns']:
        cell = row.get(c['name'])
        s = '' if cell is None else str(cell)
        gap = _is_missing(s)
        if gap and 'fill' not in c:
            raise ValueError('column %r: missing, and the model was trained without gaps there' % c['name'])
        if c['kind'] == 'numeric':
            v = c['fill'] if gap else _number(s)
            if v != v:
                raise ValueError('column %r: not a number: %r' % (c['name'], s))
            out.append(float(v))
        else:
            v = c.get('fill') if gap else s
            idx = c['categories'].index(v) if isinstance(v, str) and v in c['categories'] else -1
            if not gap and idx < 0:
                raise ValueError('column %r: a value the model was not trained on: %r' % (c['name'], s))
            if c['kind'] == 'one-hot':
                out.extend(1.0 if k == idx else 0.0 for k in range(len(c['categories'])))
            else:
                out.append(float(idx))
        if c.get('indicator'):
            out.append(1.0 if gap else 0.0)
    return torch.tensor(out, dtype=torch.float32)
`;
