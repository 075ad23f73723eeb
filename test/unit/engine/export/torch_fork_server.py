"""Run Python commands in processes forked from one interpreter that has imported torch.

    python3 torch_fork_server.py        (one JSON request a line on stdin, one JSON answer a line on stdout)

A request is {"cwd", "argv", "env", "timeout"}: argv as given to python3 ("script.py ARGS…" or
"-c CODE ARGS…"). Each runs in a child forked for it: its own process, module table and exit
status, with the sys.argv, sys.path[0], working folder and environment (plus env) that a fresh
`python3 argv…` in cwd would have, its stdout and stderr captured apart; the answer is {"status"
(null when the timeout killed it), "signal", "stdout", "stderr"}. What the children share is only
what `import torch, numpy` left in memory: importing torch costs about 2 s of CPU, most of a
short run's time (torch-harness.ts, torchProcess). The server ends at the end of its input.
"""
import atexit
import json
import math
import os
import runpy
import shutil
import signal
import sys
import tempfile
import threading
import traceback
import types

import numpy  # noqa: F401  (imported once, before any fork)
import torch  # noqa: F401
import torch.distributed  # noqa: F401
import torch.nn  # noqa: F401
import torch.utils.data  # noqa: F401


def child(cwd, argv, env, timeout, out_path, err_path):
    """In the forked child: run argv as `python3 argv…` would in cwd, then exit with its status."""
    signal.alarm(max(1, math.ceil(timeout)))  # SIGALRM's default action ends the process
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, path in ((1, out_path), (2, err_path)):
        f = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(f, fd)
        os.close(f)
    sys.stdin = open(0, 'r', closefd=False)
    sys.stdout = open(1, 'w', closefd=False)
    sys.stderr = open(2, 'w', closefd=False)
    os.chdir(cwd)
    os.environ.update(env)

    def run():
        if argv[0] == '-c':
            sys.argv = ['-c', *argv[2:]]
            sys.path[0] = ''
            main_module = types.ModuleType('__main__')
            sys.modules['__main__'] = main_module
            exec(compile(argv[1], '<string>', 'exec'), main_module.__dict__)
        else:
            sys.argv = list(argv)
            sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
            runpy.run_path(argv[0], run_name='__main__')

    exit_as_main(run)


def exit_as_main(run):
    """Call run() as an interpreter runs its main code, then end this process as the interpreter
    would: its status SystemExit's code (a message printed, 1), or 1 after an uncaught exception
    (its traceback printed); first waiting for non-daemon threads and running the atexit handlers."""
    status = 0
    try:
        run()
    except SystemExit as e:
        if e.code is None:
            status = 0
        elif isinstance(e.code, int):
            status = e.code
        else:
            print(e.code, file=sys.stderr)
            status = 1
    except BaseException:
        traceback.print_exc()
        status = 1
    try:
        threading._shutdown()
        atexit._run_exitfuncs()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def main():
    scratch = tempfile.mkdtemp(prefix='nw-torch-fork-')
    out_path, err_path = os.path.join(scratch, 'stdout'), os.path.join(scratch, 'stderr')
    answers = sys.stdout
    try:
        serve(out_path, err_path, answers)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def serve(out_path, err_path, answers):
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                child(req['cwd'], req['argv'], req.get('env', {}), req.get('timeout', 240), out_path, err_path)
            finally:
                os._exit(1)
        _, wait_status = os.waitpid(pid, 0)
        status = os.waitstatus_to_exitcode(wait_status)
        with open(out_path, encoding='utf8', errors='replace') as f:
            stdout = f.read()
        with open(err_path, encoding='utf8', errors='replace') as f:
            stderr = f.read()
        answers.write(json.dumps({'status': status if status >= 0 else None, 'signal': -status if status < 0 else None, 'stdout': stdout, 'stderr': stderr}) + '\n')
        answers.flush()


if __name__ == '__main__':
    main()
