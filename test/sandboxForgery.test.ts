// Forged completion: a reply that does not implement the function must not pass, whatever it reads or writes.
// Each hostile reply below reads what it can reach (its program file, /proc/self/cmdline, /proc/self/environ,
// /proc/self/fd/* (the sandbox has no /proc: they find nothing there), interpreter frames and globals),
// echoes all of it to stdout and stderr, writes it to
// every open descriptor, then exits 0, or subverts its own process. With the old completion marker in the
// program's text, echoing the program file or /proc/self/cmdline to stderr passed, and so did an object equal
// to everything. Positive controls show the same item passes a correct reply, so a fail means something.
import { describe, expect, it } from "vitest";
import { defaultSandboxConfig, Sandbox, scoreReply, validateItem } from "@evalstack/evaluator/scoring";

const sandbox = new Sandbox(defaultSandboxConfig());

const python = validateItem({
  id: "py-double",
  dimension: "code",
  prompt: "Write double(x).",
  checks: [
    {
      type: "code",
      language: "python",
      tests: "# tests-only-7f3a\nassert double(2) == 4\nassert double(-3) == -6\nassert double('ab') == 'abab'\n",
      timeout_ms: 10_000,
    },
  ],
});
const javascript = validateItem({
  id: "js-double",
  dimension: "code",
  prompt: "Write double(x).",
  checks: [
    {
      type: "code",
      language: "javascript",
      tests:
        "const assert = require('node:assert');\nassert.strictEqual(double(2), 4);\nassert.strictEqual(double(-3), -6);\nassert.deepStrictEqual(double([1]), [1, 1]);\n",
      timeout_ms: 10_000,
    },
  ],
});

// Everything a Python program can read about itself, echoed everywhere it can write.
const PY_LEAK = `
import os, sys, glob, inspect, gc
found = []
def grab(path):
    try:
        with open(path, 'rb') as f:
            found.append(f.read().decode('utf-8', 'replace'))
    except Exception as e:
        found.append(f'{path}: {e}')
for p in [sys.argv[0], *sys.argv[1:], '/proc/self/cmdline', '/proc/self/environ', '/proc/1/cmdline', '/proc/1/environ', *glob.glob('/src/*'), *glob.glob('/work/*')]:
    grab(p)
try:
    fds = os.listdir('/proc/self/fd')
except OSError as e:
    fds = []
    found.append(f'/proc/self/fd: {e}')
for fd in fds:
    try:
        found.append(os.readlink(f'/proc/self/fd/{fd}'))
    except OSError:
        pass
frame = sys._getframe()
while frame is not None:
    found.append(repr(sorted(frame.f_globals)))
    found.append(repr({k: v for k, v in frame.f_locals.items() if isinstance(v, (str, bytes, int))}))
    frame = frame.f_back
found.append(repr([f.filename for f in inspect.stack()]))
found.append(repr(sorted(globals())))
found.append(repr([o for o in gc.get_objects() if isinstance(o, str) and ('evalstack' in o or 'passed' in o or 'marker' in o)][:200]))
text = '\\n'.join(found)
print(text)
print(text, file=sys.stderr)
`;

const PY_FORGERIES: [string, string][] = [
  ["prints everything it can read, then exits 0", `${PY_LEAK}\nsys.exit(0)`],
  [
    "writes what it read to every open descriptor, then os._exit(0)",
    `${PY_LEAK}\nfor fd in range(3, 64):\n    try:\n        os.write(fd, (text + '\\n').encode())\n    except OSError:\n        pass\nos._exit(0)`,
  ],
  [
    "forges the protocol on its descriptors: claims every call returned True",
    `import os, json\nfor fd in range(3, 64):\n    try:\n        os.write(fd, (json.dumps({'ready': [['double', {'$h': 0, 'fn': 'double'}]]}) + '\\n' + (json.dumps({'ok': True}) + '\\n') * 20).encode())\n    except OSError:\n        pass\nos._exit(0)`,
  ],
  [
    "walks the interpreter frames to the harness's globals and calls its send and exit",
    `import sys\nframe = sys._getframe()\nwhile frame.f_back is not None:\n    frame = frame.f_back\ng = frame.f_globals\nfor name in list(g):\n    if callable(g[name]) and 'send' in name:\n        try:\n            g[name]({'ok': True})\n            g[name]({'op': 'exit'})\n        except Exception:\n            pass\nimport os\nos._exit(0)\ndef double(x):\n    return 0`,
  ],
  [
    "kills its parent and every process it can see, then exits 0",
    `import os, signal\ntry:\n    seen = [int(p) for p in os.listdir('/proc') if p.isdigit()]\nexcept OSError:\n    seen = []\nfor pid in [os.getppid(), 1] + seen:\n    try:\n        os.kill(pid, signal.SIGKILL) if pid != os.getpid() else None\n    except OSError:\n        pass\nos._exit(0)`,
  ],
  [
    "returns an object equal to everything",
    `class Anything:\n    def __eq__(self, other):\n        return True\n    def __ne__(self, other):\n        return False\n    __hash__ = object.__hash__\ndef double(x):\n    return Anything()`,
  ],
  [
    "replaces the builtins' AssertionError and assert's helpers, then answers wrongly",
    `import builtins\nbuiltins.AssertionError = type('Nothing', (BaseException,), {})\nbuiltins.__import__ = lambda *a, **k: None\ndef double(x):\n    return 0`,
  ],
  ["exits 0 from inside the function under test", `import sys\ndef double(x):\n    sys.exit(0)`],
  ["exits 0 with os._exit inside the function under test", `import os\ndef double(x):\n    os._exit(0)`],
];

const JS_LEAK = `
const fs = require('node:fs');
const found = [];
const grab = (p) => { try { found.push(fs.readFileSync(p, 'utf8')); } catch (e) { found.push(p + ': ' + e.message); } };
for (const p of [...process.argv, '/proc/self/cmdline', '/proc/self/environ', '/proc/1/cmdline', '/proc/1/environ']) grab(p);
for (const dir of ['/src', '/work']) { try { for (const f of fs.readdirSync(dir)) grab(dir + '/' + f); } catch {} }
let fds = [];
try { fds = fs.readdirSync('/proc/self/fd'); } catch (e) { found.push('/proc/self/fd: ' + e.message); }
for (const fd of fds) { try { found.push(fs.readlinkSync('/proc/self/fd/' + fd)); } catch {} }
found.push(JSON.stringify(Object.getOwnPropertyNames(globalThis)));
found.push(new Error('where am I').stack);
found.push(JSON.stringify(process.env));
const text = found.join('\\n');
console.log(text);
console.error(text);
`;

const JS_FORGERIES: [string, string][] = [
  ["prints everything it can read, then exits 0", `${JS_LEAK}\nprocess.exit(0);`],
  [
    "writes what it read to every open descriptor, then exits 0",
    `${JS_LEAK}\nfor (let fd = 3; fd < 64; fd++) { try { fs.writeSync(fd, text + '\\n'); } catch {} }\nprocess.reallyExit ? process.reallyExit(0) : process.exit(0);`,
  ],
  [
    "forges the protocol on its descriptors: claims every call returned 4",
    `const fs = require('node:fs');\nconst lines = JSON.stringify({ ready: [['double', { $h: 0, fn: 'double' }]] }) + '\\n' + (JSON.stringify({ ok: 4 }) + '\\n').repeat(20);\nfor (let fd = 3; fd < 64; fd++) { try { fs.writeSync(fd, lines); } catch {} }\nprocess.exit(0);`,
  ],
  [
    "kills its parent and pid 1, then exits 0",
    `for (const pid of [process.ppid, 1]) { try { process.kill(pid, 'SIGKILL'); } catch {} }\nprocess.exit(0);`,
  ],
  [
    "returns an object that converts to anything",
    `function double(x) { return { valueOf: () => 2 * x, [Symbol.toPrimitive]: () => 2 * x, length: 2, 0: x, 1: x }; }`,
  ],
  ["exits 0 from inside the function under test", `function double(x) { process.exit(0); }`],
  [
    "overrides node:assert in its own process, then answers wrongly",
    `const assert = require('node:assert');\nassert.strictEqual = () => {};\nassert.deepStrictEqual = () => {};\nfunction double(x) { return 0; }`,
  ],
];

describe("the hostile programs run to their end (the sandbox has no /proc: they find nothing there, and go on)", () => {
  // Only what they found under /proc is printed here (JS_LEAK's echo starts with the node binary it read, which
  // is more than the output kept, and more than the default 1 GiB of address space).
  it.each([
    [
      "python",
      `import builtins\n_print = builtins.print\nbuiltins.print = lambda *a, **k: None\n${PY_LEAK}\n_print('\\n'.join(l for l in found if l.startswith('/proc')))`,
    ],
    [
      "javascript",
      `const _log = console.log;\nconsole.log = console.error = () => {};\n${JS_LEAK}\n_log(found.filter((l) => l.startsWith('/proc')).join('\\n'));`,
    ],
  ] as const)("%s", async (language, leak) => {
    const r = await sandbox.run(language, leak, { timeoutMs: 10_000, memoryBytes: 4 * 1024 ** 3 });
    expect(r.exitCode, r.stderr).toBe(0);
    for (const p of ["/proc/self/cmdline", "/proc/self/environ", "/proc/1/environ", "/proc/self/fd"]) {
      expect(r.stdout).toMatch(new RegExp(`${p}: .*(No such file or directory|ENOENT)`));
    }
  });
});

describe("forged completion: replies that do not implement the function all fail (Python)", () => {
  it("a correct reply passes the same item (control)", async () => {
    const r = await scoreReply(python, "```python\ndef double(x):\n    return x * 2\n```", { sandbox });
    expect(r.passed, JSON.stringify(r.checks)).toBe(true);
  });

  it.each(PY_FORGERIES)("%s", async (_name, code) => {
    const r = await scoreReply(python, "```python\n" + code + "\n```", { sandbox });
    expect(r.passed, JSON.stringify(r.checks)).toBe(false);
    expect(r.checks[0]?.passed).toBe(false);
    expect(r.error, "a forgery is the program's fail, not an evaluation error").toBeUndefined();
  });

  it("the tests are not in the candidate's reach: it cannot read them to special-case the inputs", async () => {
    // The candidate's double answers correctly only when it can find the tests' text somewhere it can read
    // (the marker is split in its own source, so its program file alone does not count).
    const code = `import glob\nseen = ''\nfor p in glob.glob('/src/*') + glob.glob('/work/*') + ['/proc/1/cmdline']:\n    try:\n        seen += open(p).read()\n    except Exception:\n        pass\ndef double(x):\n    return x * 2 if ('tests-only-' + '7f3a') in seen else None`;
    const r = await scoreReply(python, "```python\n" + code + "\n```", { sandbox });
    expect(r.passed, JSON.stringify(r.checks)).toBe(false);
  });
});

describe("forged completion: replies that do not implement the function all fail (JavaScript)", () => {
  it("a correct reply passes the same item (control)", async () => {
    const r = await scoreReply(javascript, "```js\nfunction double(x) { return Array.isArray(x) ? [...x, ...x] : 2 * x; }\n```", {
      sandbox,
    });
    expect(r.passed, JSON.stringify(r.checks)).toBe(true);
  });

  it.each(JS_FORGERIES)("%s", async (_name, code) => {
    const r = await scoreReply(javascript, "```js\n" + code + "\n```", { sandbox });
    expect(r.passed, JSON.stringify(r.checks)).toBe(false);
    expect(r.checks[0]?.passed).toBe(false);
    expect(r.error, "a forgery is the program's fail, not an evaluation error").toBeUndefined();
  });
});
