# The candidate's side (its own sandbox): runs the reply's code, then serves the judge's calls to what it
# defined. Nothing here decides anything: whatever this process says is just the candidate's answer.
import builtins as _builtins, sys as _sys, traceback as _traceback, types as _types

_objects = []


def _handle(value):
    _objects.append(value)
    ref = {"$h": len(_objects) - 1}
    if isinstance(value, (_types.FunctionType, _types.BuiltinFunctionType, _types.MethodType, type)):
        ref["fn"] = getattr(value, "__name__", "function")
    elif callable(value):
        ref["fn"] = type(value).__name__
    else:
        ref["type"] = type(value).__name__
    return ref


def _resolve(ref):
    return _objects[ref["$h"]]


def _serve():
    namespace = {"__name__": "__main__", "__builtins__": _builtins}
    before = set(_sys.modules)
    try:
        with open(_sys.argv[1], encoding="utf-8") as f:
            source = f.read()
        exec(compile(source, "main.py", "exec"), namespace)
    except SystemExit:
        raise
    except BaseException as error:
        _traceback.print_exc()
        _send({"raise": [type(error).__name__, str(error)[:500]]})
        return
    names = [[k, _encode(v, _handle)] for k, v in list(namespace.items()) if not k.startswith("__") and not isinstance(v, _types.ModuleType)]
    # The modules the code imported, for tests that forbid one (the candidate could lie: it could as well
    # have removed them from sys.modules when the tests shared its interpreter).
    modules = sorted({m.split(".")[0] for m in set(_sys.modules) - before})
    _send({"ready": names, "modules": modules})
    while True:
        message = _receive()
        if message is None or message.get("op") == "exit":
            return
        try:
            target = _objects[message["h"]]
            op = message["op"]
            if op == "call":
                args = [_decode(a, _resolve) for a in message["args"]]
                kwargs = {k: _decode(v, _resolve) for k, v in message["kw"]}
                result = target(*args, **kwargs)
            elif op == "getattr":
                result = getattr(target, message["name"])
            elif op == "list":
                result = list(target)
            elif op == "len":
                result = len(target)
            elif op == "getitem":
                result = target[_decode(message["key"], _resolve)]
            elif op == "str":
                result = str(target)
            else:
                raise ValueError("unknown operation")
            reply = {"ok": _encode(result, _handle)}
        except BaseException as error:
            reply = {"raise": [type(error).__name__, str(error)[:500]]}
        _send(reply)


_serve()
_sys.stdout.flush()
