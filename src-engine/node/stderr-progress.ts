/**
 * A long command's progress on stderr, so that stdout holds only its result (`--json`: its JSON):
 * on a terminal one line rewritten in place (`\r`, the rest of the line erased) and ended when the
 * count is done or another phase begins; elsewhere (a pipe, a log file) plain lines. A count prints
 * its first and last figures and at most one line every `everyMs` between them (a terminal 5 a
 * second, a log 1).
 *
 * @example
 * const progress = stderrProgress(err, { tty: process.stderr.isTTY === true });
 * progress.phase('calibrating on 256 samples…');
 * layerSensitivity(q, x, y, n, progress.count((done, total) => `per-layer sensitivity: ${done} of ${total} samples…`));
 */
export interface StderrProgress {
  /** A phase without a count: one line. */
  phase(text: string): void;
  /** A counted phase: what the engine's progress callback (done, total) calls; the function given makes its line. */
  count(text: (done: number, total: number) => string): (done: number, total: number) => void;
  /** The last line ended (a terminal's line left open is closed), before the command prints anything else on stderr. */
  end(): void;
}

export function stderrProgress(err: (s: string) => void, options: { tty: boolean; everyMs?: number; now?: () => number }): StderrProgress {
  const { tty } = options;
  const everyMs = options.everyMs ?? (tty ? 200 : 1000);
  const now = options.now ?? (() => performance.now());
  // A terminal line written without its newline (a count under way).
  let open = false;
  const end = () => {
    if (open) err('\n');
    open = false;
  };
  const line = (text: string, last: boolean) => {
    if (!tty) return err(`${text}\n`);
    err(`\r${text}\u001b[K${last ? '\n' : ''}`);
    open = !last;
  };
  return {
    phase(text) {
      end();
      line(text, true);
    },
    count(text) {
      end();
      let shown: number | undefined;
      return (done, total) => {
        const last = done >= total;
        const t = now();
        if (!last && shown !== undefined && t - shown < everyMs) return;
        shown = t;
        line(text(done, total), last);
      };
    },
    end,
  };
}
