import { confusionCount, confusionRestricted, confusionShown } from '../../training/charts';

/**
 * A confusion matrix with its class labels: rows the true class, columns the predicted one. Past
 * `MOST_CONFUSION_CLASSES` classes, the most frequent true classes and a `rest` column
 * (`confusionShown`; `shown` makes several matrices show the same ones). `changedFrom`: another
 * matrix of the same classes (int8's beside float32's); the cells that differ from it are marked,
 * with its count in their title.
 */
export function ConfusionMatrix({ m, classes, signed, shown, changedFrom }: { m: number[][]; classes: readonly string[]; signed?: boolean; shown?: ReturnType<typeof confusionShown>; changedFrom?: { m: readonly (readonly number[])[]; label: string } }) {
  const s = shown ?? confusionShown(m, classes);
  const rows = confusionRestricted(m, s);
  const before = changedFrom ? confusionRestricted(changedFrom.m, s) : undefined;
  const names = s.names;
  const max = Math.max(1, ...rows.flat().map((v) => Math.abs(v)));
  return (
    <div className="compare__matrix-wrap">
      {s.other ? (
        <span className="compare__matrix-note runs__sub" data-testid="matrix-most-frequent">
          the {s.classes.length} most frequent of {m.length} classes; “rest”: predicted as any other
        </span>
      ) : null}
      <span className="compare__matrix-axis runs__sub">predicted →</span>
      <div className="compare__matrix" style={{ gridTemplateColumns: `auto repeat(${names.length}, 1fr)`, width: Math.max(240, 30 * (names.length + 1)) }} data-testid="compare-matrix" data-classes={names.join(',')}>
        <span className="compare__matrix-corner runs__sub" title="rows: true class; columns: predicted class">true ↓</span>
        {names.map((c, b) => (
          <span key={`h${b}`} className="compare__matrix-label" title={`predicted ${c}`}>
            {c}
          </span>
        ))}
        {rows.flatMap((row, a) => [
          <span key={`r${a}`} className="compare__matrix-label" title={`true ${names[a]}`}>
            {names[a]}
          </span>,
          ...row.map((v, b) => {
            const share = Math.abs(v) / max;
            const colour = signed ? (v === 0 ? 'transparent' : (a === b) === v > 0 ? `rgba(31,157,85,${share})` : `rgba(214,69,69,${share})`) : `rgba(51,102,255,${share})`;
            const was = before?.[a]?.[b];
            const changed = was !== undefined && was !== v;
            return (
              <span key={`${a}-${b}`} {...(changed ? { className: 'compare__matrix-changed', 'data-changed': 'true' } : {})} style={{ background: colour }} title={`true ${names[a]}, predicted ${names[b]}: ${v}${changed ? ` (${changedFrom!.label}: ${was})` : ''}`}>
                {v === 0 && signed ? '' : confusionCount(v)}
              </span>
            );
          }),
        ])}
      </div>
    </div>
  );
}
