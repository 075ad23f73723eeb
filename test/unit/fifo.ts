import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';

/**
 * A FIFO at `dir/name` whose blocking read is bounded: a writer opens and closes it after
 * `releaseMs`, so code that reads it with a plain `readFileSync` (which a FIFO blocks until a writer
 * comes, and no test timeout can interrupt: the thread itself waits) gets an empty file then and
 * fails its test instead of hanging the run. Code that refuses the FIFO never wakes that writer,
 * which `release()` ends. Undefined where there is no `mkfifo`.
 *
 * @example
 *   const fifo = boundedFifo(dir, 'design.json');
 *   try { expect(codeOf(() => read(fifo.path))).toBe('CLI_NOT_A_FILE'); } finally { fifo?.release(); }
 */
export function boundedFifo(dir: string, name: string, releaseMs = 5000): { path: string; release(): void } | undefined {
  const file = path.join(dir, name);
  try {
    execFileSync('mkfifo', [file]);
  } catch {
    return undefined;
  }
  // `exec 3>` opens the FIFO for writing (blocking until a reader comes), then the shell exits and closes it.
  const writer = spawn('sh', ['-c', `sleep ${releaseMs / 1000}; exec 3>"$0"`, file], { stdio: 'ignore' });
  return { path: file, release: () => writer.kill('SIGKILL') };
}
