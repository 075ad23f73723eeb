/**
 * A host's file service in a process of its own, for save-lock.test.ts: started by `fork` with the
 * workspace folder as its argument (and, optionally, the save lock's timings as JSON), it answers
 * each `{ round, path, text, ifVersion, at }` by saving `text` over `path` with that version at the
 * time `at` (Date.now()), as a web host does a page's Save, and replies `{ round, saved }` or
 * `{ round, code }`. `{ round, hold }` takes the save lock of `hold` (in the workspace) and keeps
 * it: a host that crashes mid-save, once killed. `{ round, stage, text, ifVersion }` takes the lock
 * of `stage` with `text` staged, checks the version, replies `{ round, checked }` and waits for
 * `{ round, commit: true }` before it commits: a host the test stops (SIGSTOP) after its check.
 *
 * Run as `save-racer.ts <workspace> --save <path> <text> <ifVersion>` it saves once and prints
 * `{ saved }` or `{ code }`: another host's save, run while the test's own is held up.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FILE_LOCK_TIMINGS, FileLockLost, withFileLock, type FileLockTimings } from '../../../src-main/host/file-lock';
import { FileService } from '../../../src-main/host/files';

type Request =
  | { round: number; path: string; text: string; ifVersion: string; at: number }
  | { round: number; hold: string }
  | { round: number; stage: string; text: string; ifVersion: string }
  | { round: number; commit: true };

const workspaceDir = process.argv[2];

if (process.argv[3] === '--save') {
  const [file, text, ifVersion] = process.argv.slice(4);
  const files = new FileService({ workspaceDir, stateDir: path.join(workspaceDir, '.netwright') });
  files.write(file, text, { ifVersion }).then(
    () => process.stdout.write(JSON.stringify({ saved: true })),
    (e: { code?: string; message?: string }) => process.stdout.write(JSON.stringify({ code: e.code ?? e.message })),
  );
} else {
  const timings: FileLockTimings = process.argv[3] ? (JSON.parse(process.argv[3]) as FileLockTimings) : FILE_LOCK_TIMINGS;
  const files = new FileService({ workspaceDir, stateDir: path.join(workspaceDir, '.netwright'), saveLock: timings });
  const commits = new Map<number, () => void>();

  process.on('message', (m: Request) => {
    if ('hold' in m) {
      void withFileLock(path.join(workspaceDir, m.hold), async () => {
        process.send!({ round: m.round, saved: false });
        await new Promise(() => {});
      });
      return;
    }
    if ('commit' in m) {
      commits.get(m.round)?.();
      return;
    }
    if ('stage' in m) {
      const target = path.join(workspaceDir, m.stage);
      withFileLock(
        target,
        async (held) => {
          const now = createHash('sha256').update(readFileSync(target)).digest('hex');
          if (now !== m.ifVersion) throw Object.assign(new Error('changed'), { code: 'E_FILE_CHANGED' });
          await new Promise<void>((resolve) => {
            commits.set(m.round, resolve);
            process.send!({ round: m.round, checked: true });
          });
          await held.commit('replace');
        },
        timings,
        Buffer.from(m.text),
      ).then(
        () => process.send!({ round: m.round, saved: true }),
        (e: { code?: string; message?: string }) => process.send!({ round: m.round, code: e instanceof FileLockLost ? e.name : (e.code ?? e.message) }),
      );
      return;
    }
    setTimeout(
      () => {
        files.write(m.path, m.text, { ifVersion: m.ifVersion }).then(
          () => process.send!({ round: m.round, saved: true }),
          (e: { code?: string; message?: string }) => process.send!({ round: m.round, code: e.code ?? e.message }),
        );
      },
      Math.max(0, m.at - Date.now()),
    );
  });
  process.send!('ready');
}
