/**
 * A host's file service in a process of its own, for save-lock.test.ts: started by `fork` with the
 * workspace folder as its argument, it answers each `{ round, path, text, ifVersion, at }` by
 * saving `text` over `path` with that version at the time `at` (Date.now()), as a web host does
 * a page's Save, and replies `{ round, saved }` or `{ round, code }`. `{ round, hold }` takes the
 * save lock of `hold` (in the workspace) and keeps it: a host that crashes mid-save, once killed.
 */
import path from 'node:path';
import { withFileLock } from '../../../src-main/host/file-lock';
import { FileService } from '../../../src-main/host/files';

type Request = { round: number; path: string; text: string; ifVersion: string; at: number } | { round: number; hold: string };

const workspaceDir = process.argv[2];
const files = new FileService({ workspaceDir, stateDir: path.join(workspaceDir, '.netwright') });

process.on('message', (m: Request) => {
  if ('hold' in m) {
    void withFileLock(path.join(workspaceDir, m.hold), async () => {
      process.send!({ round: m.round, saved: false });
      await new Promise(() => {});
    });
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
