/** A confusion matrix with its class labels: rows the true class, columns the predicted one. */
export function ConfusionMatrix({ m, classes, signed }: { m: number[][]; classes: readonly string[]; signed?: boolean }) {
  const max = Math.max(1, ...m.flat().map((v) => Math.abs(v)));
  return (
    <div className="compare__matrix-wrap">
      <span className="compare__matrix-axis runs__sub">predicted →</span>
      <div className="compare__matrix" style={{ gridTemplateColumns: `auto repeat(${m.length}, 1fr)` }} data-testid="compare-matrix" data-classes={classes.join(',')}>
        <span className="compare__matrix-corner runs__sub" title="rows: true class; columns: predicted class">true ↓</span>
        {classes.map((c, b) => (
          <span key={`h${b}`} className="compare__matrix-label" title={`predicted ${c}`}>
            {c}
          </span>
        ))}
        {m.flatMap((row, a) => [
          <span key={`r${a}`} className="compare__matrix-label" title={`true ${classes[a]}`}>
            {classes[a]}
          </span>,
          ...row.map((v, b) => {
            const share = Math.abs(v) / max;
            const colour = signed ? (v === 0 ? 'transparent' : (a === b) === v > 0 ? `rgba(31,157,85,${share})` : `rgba(214,69,69,${share})`) : `rgba(51,102,255,${share})`;
            return (
              <span key={`${a}-${b}`} style={{ background: colour }} title={`true ${classes[a]}, predicted ${classes[b]}: ${v}`}>
                {v === 0 && signed ? '' : v}
              </span>
            );
          }),
        ])}
      </div>
    </div>
  );
}
