"""torchrun (torch.distributed.run), its ranks forked from this interpreter instead of started fresh.

    python3 torchrun_forked.py TORCHRUN_ARGS… script.py SCRIPT_ARGS…      (as `torchrun …` takes them)

torchrun's agent starts each rank as `python3 -u script.py …` (a SubprocessHandler's Popen): a
fresh interpreter that imports torch again, about 2 s of CPU a rank (train-py.test.ts runs two
torchruns of 2 ranks). Here the launcher has imported torch already (itself forked from
torch_fork_server.py, or once), and each rank is a child forked from it that runs the script as
`python3 -u script.py …` would: its own process (so the agent polls, signals and reaps it as it
does any rank), with the agent's environment for that rank (RANK, LOCAL_RANK, MASTER_PORT, …), its
stdout and stderr the agent's log files, unbuffered, sys.argv and sys.path[0] the script's, the
default signal handlers (not the agent's), its own atexit handlers only, and freshly seeded
`random` and NumPy generators. Everything else of torchrun (rendezvous, the agent's store, --tee,
exit codes) is torchrun's own. The fork happens before the agent starts any Python thread (its
log tails start after the ranks: PContext.start); the store's server thread is C++ and holds no
lock a rank takes.
"""
import atexit
import os
import random
import runpy
import signal
import subprocess
import sys
import traceback

import numpy
import torch.distributed.run
from torch.distributed.elastic.multiprocessing import api

from torch_fork_server import exit_as_main


def run_rank(args, env, out_fd, err_fd):
    """In the forked child: run `python3 -u script …` (args) in env, then exit with its status."""
    try:
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for fd, target in ((1, out_fd), (2, err_fd)):
            if target not in (None, -1):
                os.dup2(target, fd)
        sys.stdout = open(1, 'w', buffering=1, closefd=False)
        sys.stderr = open(2, 'w', buffering=1, closefd=False)
        sys.stdout.reconfigure(write_through=True)
        sys.stderr.reconfigure(write_through=True)
        os.environ.clear()
        os.environ.update(env)
        _, unbuffered, script, *rest = args
        if unbuffered != '-u':
            raise ValueError(f'a rank started as {args!r}, not `python3 -u script …`')
        atexit._clear()
        random.seed()
        numpy.random.seed()
        sys.argv = [script, *rest]
        sys.path[0] = os.path.dirname(os.path.abspath(script))
    except BaseException:
        traceback.print_exc()
        os._exit(1)
    exit_as_main(lambda: runpy.run_path(script, run_name='__main__'))


class ForkedRank(subprocess.Popen):
    """A Popen whose child is forked from this interpreter and runs the rank (run_rank), not exec'd."""

    def _execute_child(self, args, executable, preexec_fn, close_fds, pass_fds, cwd, env, startupinfo, creationflags, shell, p2cread, p2cwrite, c2pread, c2pwrite, errread, errwrite, *rest):
        if (p2cwrite, c2pread, errread) != (-1, -1, -1):
            raise ValueError('ForkedRank: pipes are not supported (torchrun passes files or nothing)')
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            run_rank([str(a) for a in args], env if env is not None else dict(os.environ), c2pwrite, errwrite)
        self.pid = pid
        self._child_created = True


def popen_rank(self, args, env):
    return ForkedRank(args=args, env=env, stdout=self._stdout, stderr=self._stderr)


api.SubprocessHandler._popen = popen_rank
sys.argv = ['torchrun', *sys.argv[1:]]
torch.distributed.run.main()
