/**
 * The job of a run over SSH, kept on the other machine so it outlives the connection that started
 * it (the command killed, the laptop closed, the connection dropped): `netwright_job.py`, written
 * beside train.py in the project copied there, starts torchrun in a session of its own with its
 * stdout and stderr to files of the project folder (`job.out`, `job.err`), holds a lock on
 * `job.lock` while it waits for it, and writes how it ended to `job.exit`. Any connection then
 * follows the job by reading those files from their start (`follow`: each line tagged with its
 * stream, the end last), and `cancel` signals its process group once the lock shows it is the job's.
 *
 * NOTE: the lock is what says the job is alive, not its pid: the keeper and every process of the job
 * hold it, and the kernel drops it when the last of them dies, however it dies, so a pid handed out
 * again is never taken for the job (nor is a group's id handed out while one of its processes lives).
 */

/** The script's file name in the project folder. */
export const JOB_SCRIPT = 'netwright_job.py';

/**
 * `python3 netwright_job.py start CMD…` prints the job's id (its keeper's pid, the leader of the
 * job's process group) once it runs; `follow [--now]` prints `o LINE` / `e LINE` for each line of
 * job.out / job.err from their start, then `x STATUS` when the job has ended (an exit status,
 * `signal N`, or `lost`: its keeper was killed) or, with `--now`, `r` once it has caught up with a
 * job that runs on; `cancel` ends the job (exit 3: it is no longer running).
 */
export const JOB_SCRIPT_TEXT = `# Written by netwright train --on ssh: (src-engine/node/ssh-job.ts). Keeps the run's job going
# without the connection that started it, and lets any connection follow or cancel it.
import fcntl, os, signal, subprocess, sys, time

OUT, ERR, PID, EXIT, LOCK = 'job.out', 'job.err', 'job.pid', 'job.exit', 'job.lock'


def write_new(name, text):
    tmp = name + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, name)


def start(cmd):
    if os.path.exists(LOCK):
        if running():
            sys.exit('netwright_job.py: a job runs in this folder already; name another folder')
        # An earlier job's, which has ended: this folder is the new job's now.
        for name in (OUT, ERR, PID, EXIT, LOCK):
            if os.path.exists(name):
                os.remove(name)
    r, w = os.pipe()
    if os.fork():
        os.close(w)
        said = os.read(r, 64).decode()
        if not said:
            sys.exit('the job could not be started (see job.err)')
        print(said, flush=True)
        return
    os.close(r)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.setsid()
    lock = os.open(LOCK, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    out = os.open(OUT, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    err = os.open(ERR, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    write_new(PID, str(os.getpid()))
    # The job's processes end on SIGTERM (cancel signals the group); this one stays to record how.
    signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        # The lock goes with the job's processes: it is held while any of them lives.
        child = subprocess.Popen(cmd, stdin=null, stdout=out, stderr=err, pass_fds=(lock,), env=dict(os.environ, PYTHONUNBUFFERED='1'))
    except OSError as e:
        os.write(err, ('netwright_job.py: %s could not be started: %s\\n' % (cmd[0], e)).encode())
        write_new(EXIT, '127')
        os.write(w, str(os.getpid()).encode())
        os._exit(0)
    os.write(w, str(os.getpid()).encode())
    os.close(w)
    code = child.wait()
    write_new(EXIT, str(code) if code >= 0 else 'signal %d' % -code)
    os._exit(0)


def running():
    fd = os.open(LOCK, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def ended():
    """How the job ended, or None while it runs."""
    for _ in range(2):
        try:
            with open(EXIT) as f:
                return f.read().strip()
        except FileNotFoundError:
            pass
        if running():
            return None
    return 'lost'


def follow(now):
    out = sys.stdout.buffer
    streams = [[b'o ', open(OUT, 'rb'), b''], [b'e ', open(ERR, 'rb'), b'']]
    while True:
        end = ended()
        for s in streams:
            data = s[1].read()
            if data:
                lines = (s[2] + data).split(b'\\n')
                s[2] = lines.pop()
                for line in lines:
                    out.write(s[0] + line + b'\\n')
            if end is not None and s[2]:
                out.write(s[0] + s[2] + b'\\n')
                s[2] = b''
        if end is not None:
            out.write(b'x ' + end.encode() + b'\\n')
        elif now:
            out.write(b'r\\n')
        out.flush()
        if end is not None or now:
            return
        time.sleep(0.25)


def cancel():
    if not running():
        sys.stderr.write('netwright_job.py: the job is no longer running\\n')
        sys.exit(3)
    with open(PID) as f:
        os.killpg(int(f.read()), signal.SIGTERM)


if __name__ == '__main__':
    what = sys.argv[1] if len(sys.argv) > 1 else ''
    if what == 'start':
        start(sys.argv[2:])
    elif what == 'follow':
        follow('--now' in sys.argv[2:])
    elif what == 'cancel':
        try:
            cancel()
        except (FileNotFoundError, ProcessLookupError):
            sys.exit(3)
    else:
        sys.exit('usage: netwright_job.py start CMD... | follow [--now] | cancel')
`;
