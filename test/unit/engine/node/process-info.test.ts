/**
 * A zombie is not a running process: a job whose follower was killed is reparented to the
 * machine's first process, and where that never reaps (a container whose init is a shell, as on
 * CI) the ended job stays a zombie that `kill(pid, 0)` still answers for. Its run must read as
 * crashed, not `running` for ever (CI's failure of stop 88's successor: train-on-target's
 * "command itself killed" case).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jobMayRun } from '../../../../src-engine/node/job-files';
import { processAlive, processStartTime } from '../../../../src-engine/node/process-info';
import { tempDir } from '../export/torch-harness';

describe.skipIf(process.platform !== 'linux')('processAlive on Linux', () => {
  it('a zombie (ended, never reaped by its parent) is not alive; its running parent is', async () => {
    // sh starts a short sleep in the background and becomes a long `sleep`, which never reaps it: a
    // zombie once it ends. (It outlives sh's exec: a child ending before it, sh itself may reap.)
    const parent = spawn('sh', ['-c', 'sleep 0.5 & echo $!; exec sleep 10'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString()))));
      const state = () => readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]![0];
      for (let i = 0; i < 250 && state() !== 'Z'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(state()).toBe('Z');
      expect(() => process.kill(pid, 0), 'the signal still answers for a zombie').not.toThrow();
      expect(processAlive(pid)).toBe(false);
      expect(jobMayRun(tempDir('zombie-job'), { jobId: String(pid), jobStarted: processStartTime(pid) })).toBe(false);
      expect(processAlive(parent.pid!)).toBe(true);
      expect(processAlive(process.pid)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
