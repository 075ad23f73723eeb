/**
 * A real OpenSSH server for the ssh target's tests (#84): Debian's `sshd` (openssh-server) started
 * by the test as the user running it, on 127.0.0.1 at a free port, with its own host key, its own
 * config (no PAM, the authorized key in a temporary folder, its pid file there), and a client key
 * made for it. The client side is OpenSSH's own `ssh`, given a temporary config (`-F`: the host
 * alias, the key, a known_hosts file holding the server's key, StrictHostKeyChecking) by a one-line
 * wrapper on PATH, so the user's ~/.ssh is never read or written.
 *
 * What runs there: the login shell of the user running the test, with sshd's `SetEnv` putting a
 * folder first on PATH whose `python3` is the Python with PyTorch. NOTE: a shell's rc file may put
 * its own folders before it (this machine's root ~/.bashrc puts pyenv's shims first);
 * `PYENV_VERSION=system` makes pyenv's shims hand over to the next `python3` on PATH.
 *
 * NOTE: run as root, sshd insists on its privilege-separation folder, `/run/sshd` (compiled in;
 * "Missing privilege separation directory: /run/sshd" otherwise; the service's unit makes it at
 * boot): made here when missing, as the unit makes it. As any other user sshd needs no such folder
 * (and can log in only that user).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { TORCH_PYTHON, tempDir } from '../export/torch-harness';
import { freePort } from '../../../../src-engine/node/torchrun-target';

/** Debian's sshd. */
export const SSHD = '/usr/sbin/sshd';
/** OpenSSH's client. */
const SSH = '/usr/bin/ssh';
/** Whether OpenSSH's server and client are installed (openssh-server, openssh-client: .ci/run installs them). */
export const HAS_SSHD = existsSync(SSHD) && existsSync(SSH) && existsSync('/usr/bin/ssh-keygen');

/** The host alias of the test's temporary ssh config. */
export const SSH_HOST = 'netwright-test-box';

export interface Sshd {
  /** The folder of keys, configs and logs (0700). */
  dir: string;
  port: number;
  /** What sshd logged (-E). */
  log(): string;
  /** Stop sshd (connections open go on until their client ends them). */
  stop(): Promise<void>;
  /**
   * Drop every connection sshd serves now, as a network that fails would: sshd's own processes for
   * them killed (SIGKILL), sshd listening on, the sessions' commands left to see their pipes close.
   * NOTE: not the sessions' shells: one killed in its rc file can leave a lock behind (pyenv's
   * rehash lock here made every later login wait 60 s). How many processes.
   */
  dropConnections(): number;
  process: ChildProcess;
}

/** The processes under `pid` (its children, theirs…), from /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The command's name is in parentheses and may hold spaces: the fields after its last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of parents.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/**
 * Start sshd and put an `ssh` on PATH that runs OpenSSH's client with the test's config; restores
 * PATH when stopped. `ssh SSH_HOST CMD` then runs CMD in the login shell of this user on this machine.
 */
export async function startSshd(): Promise<Sshd> {
  const dir = tempDir('sshd');
  chmodSync(dir, 0o700);
  const keygen = (file: string) => {
    const r = spawnSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'netwright-test', '-f', join(dir, file)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  };
  keygen('host_ed25519');
  keygen('client_ed25519');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_ed25519.pub')), { mode: 0o600 });
  const port = await freePort();
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(TORCH_PYTHON, join(bin, 'python3'));
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${join(dir, 'host_ed25519')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'UsePAM no',
      // The key's folder is a temporary one under /tmp (world-writable, sticky): StrictModes would refuse it.
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      `AllowUsers ${userInfo().username}`,
      'X11Forwarding no',
      'AllowTcpForwarding no',
      // TMPDIR: the session gets a fresh environment, and torchrun's torchelastic_* folders went to /tmp, past the run's temp folder.
      `SetEnv PATH=${bin}:/usr/bin:/bin PYENV_VERSION=system TMPDIR=${tmpdir()}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${readFileSync(join(dir, 'host_ed25519.pub'), 'utf8')}`);
  writeFileSync(
    join(dir, 'ssh_config'),
    [
      `Host ${SSH_HOST}`,
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      `  User ${userInfo().username}`,
      `  IdentityFile ${join(dir, 'client_ed25519')}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  ControlMaster no',
      '  ControlPath none',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const client = join(dir, 'client');
  mkdirSync(client);
  writeFileSync(join(client, 'ssh'), `#!/bin/sh\nexec ${SSH} -F '${join(dir, 'ssh_config')}' "$@"\n`, { mode: 0o755 });

  const logFile = join(dir, 'sshd.log');
  const sshd = spawn(SSHD, ['-D', '-f', join(dir, 'sshd_config'), '-E', logFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let said = '';
  sshd.stderr!.on('data', (d: Buffer) => (said += d.toString()));
  const exited = new Promise<void>((resolve) => sshd.once('exit', () => resolve()));
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '') + said;
  // Up when a connection runs a command.
  for (let i = 0; ; i++) {
    if (sshd.exitCode !== null) throw new Error(`sshd exited (${sshd.exitCode}): ${log()}`);
    const r = spawnSync(join(client, 'ssh'), ['-o', 'BatchMode=yes', SSH_HOST, 'true'], { encoding: 'utf8', timeout: 10_000 });
    if (r.status === 0) break;
    if (i >= 50) throw new Error(`sshd did not answer: ${r.stderr} ${log()}`);
    await new Promise((w) => setTimeout(w, 100));
  }
  const path = process.env.PATH;
  process.env.PATH = `${client}:${path}`;
  return {
    dir,
    port,
    log,
    process: sshd,
    dropConnections() {
      const under = descendants(sshd.pid!).filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sshd';
        } catch {
          return false;
        }
      });
      for (const pid of under) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // ended meanwhile
        }
      }
      return under.length;
    },
    async stop() {
      process.env.PATH = path;
      sshd.kill('SIGTERM');
      await exited;
    },
  };
}
