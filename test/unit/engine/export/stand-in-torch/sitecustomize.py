"""A stand-in for torch and numpy, for tests that run an exported script's top level only.

On PYTHONPATH, python3 imports this at start-up: every `torch…` and `numpy…` module is then made up
here (hostile-names.test.ts), so `python3 train.py --help` and `import model` read, compile and run
the exported files' top level as the real interpreter does (the main script through the file
tokenizer) in a fraction of a second, with no torch installed. Any name of those modules is a class
whose instances accept any call and attribute, so `class Net(nn.Module)`, `@torch.no_grad()` and
`torch.float32` work; nothing computes.
"""
import importlib.abc
import importlib.machinery
import sys
import types


class _Meta(type):
    def __getattr__(cls, name):
        return _stub(name)


class _Stub(metaclass=_Meta):
    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]
        return _Stub()

    def __getattr__(self, name):
        return _Stub()


def _stub(name):
    return _Meta(name, (_Stub,), {})


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split('.')[0] in ('torch', 'numpy'):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []
        module.__getattr__ = _stub
        return module

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _Finder())
