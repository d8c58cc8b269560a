# The judge (a sandbox of its own, which the candidate's code cannot see, signal or trace): runs the item's
# tests against the candidate's functions, called over a pipe. Its exit status is the verdict: 0 only after
# the tests ran to their end. The candidate's values come back as plain data (or opaque handles compared by
# identity), so no object of the candidate's can take part in an assertion.
import builtins as _builtins, sys as _sys, traceback as _traceback

ENDED = 3


class CandidateEnded(Exception):
    pass


def _not_dumpable():
    # Defence in depth where the candidate shares this uid: no ptrace, no /proc/<pid>/mem of the judge.
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except Exception:
        pass


def _raise_from(name, message):
    # The same exception type where it is a builtin one (a test may expect ValueError); never an exit.
    if name in ("SystemExit", "KeyboardInterrupt", "GeneratorExit"):
        raise RuntimeError(f"the code raised {name}: {message}")
    kind = getattr(_builtins, name, None)
    if not (isinstance(kind, type) and issubclass(kind, Exception)):
        kind = type(name if name.isidentifier() else "CandidateError", (Exception,), {})
    try:
        error = kind(message)
    except Exception:
        error = RuntimeError(f"the code raised {name}: {message}")
    raise error


def _rpc(message):
    _send(message)
    reply = _receive()
    if reply is None:
        raise CandidateEnded("the code's process ended while the tests were calling it")
    if "raise" in reply:
        _raise_from(*reply["raise"])
    return _decode(reply["ok"], _remote)


class _Remote:
    """An object of the candidate's: usable through its attributes and calls, equal only to itself."""

    __slots__ = ("_h", "_type")

    def __init__(self, h, kind):
        object.__setattr__(self, "_h", h)
        object.__setattr__(self, "_type", kind)

    def __getattr__(self, name):
        return _rpc({"op": "getattr", "h": self._h, "name": name})

    def __call__(self, *args, **kwargs):
        return _call(self._h, args, kwargs)

    def __iter__(self):
        return iter(_rpc({"op": "list", "h": self._h}))

    def __len__(self):
        return _rpc({"op": "len", "h": self._h})

    def __getitem__(self, key):
        return _rpc({"op": "getitem", "h": self._h, "key": _encode(key, _local_handle)})

    def __str__(self):
        return _rpc({"op": "str", "h": self._h})

    def __repr__(self):
        return f"<{self._type} from the code under test>"

    __hash__ = object.__hash__


def _local_handle(value):
    if isinstance(value, _Remote):
        return {"$h": value._h}
    if getattr(value, "_evalstack_handle", None) is not None:
        return {"$h": value._evalstack_handle}
    raise TypeError(f"a {type(value).__name__} cannot be passed to the code under test")


def _call(h, args, kwargs):
    return _rpc({"op": "call", "h": h, "args": [_encode(a, _local_handle) for a in args], "kw": [[k, _encode(v, _local_handle)] for k, v in kwargs.items()]})


def _remote(ref):
    if "fn" in ref:
        h = ref["$h"]

        def proxy(*args, **kwargs):
            return _call(h, args, kwargs)

        proxy.__name__ = proxy.__qualname__ = ref["fn"] if ref["fn"].isidentifier() else "function"
        proxy._evalstack_handle = h
        return proxy
    return _Remote(ref["$h"], ref.get("type", "object"))


def _main():
    _not_dumpable()
    ready = _receive()
    if ready is None:
        print("the code ended before the tests completed (it exited while being loaded)", file=_sys.stderr)
        return ENDED
    if "raise" in ready:
        name, message = ready["raise"]
        print(f"the code raised {name} while being loaded: {message}", file=_sys.stderr)
        return ENDED
    namespace = {"__name__": "__main__", "__builtins__": _builtins, "__candidate_modules__": frozenset(ready.get("modules", []))}
    for name, value in ready["ready"]:
        namespace[name] = _decode(value, _remote)
    with open(_sys.argv[1], encoding="utf-8") as f:
        tests = compile(f.read(), "tests.py", "exec")
    try:
        exec(tests, namespace)
    except CandidateEnded as error:
        print(f"{error} (before the tests completed)", file=_sys.stderr)
        return ENDED
    except SystemExit:
        print("the tests exited before they completed", file=_sys.stderr)
        return 1
    except BaseException:
        _traceback.print_exc()
        return 1
    _sys.stdout.flush()
    return 0


_verdict = _main()
try:
    _send({"op": "exit"})
except OSError:
    pass
_sys.stdout.flush()
_sys.stderr.flush()
import os as _os_exit

_os_exit._exit(_verdict)
