// The judge (a sandbox of its own, which the candidate's code cannot see, signal or trace): runs the item's
// tests against the candidate's functions, called over a pipe. Its exit status is the verdict: 0 only after
// the tests ran to their end. The candidate's values come back as plain data (or opaque handles compared by
// identity), so no object of the candidate's can take part in an assertion.
const vm = require("node:vm");
const ENDED = 3;
const realExit = process.exit.bind(process);
let failed = false;

class CandidateEnded extends Error {}

function rpc(message) {
  send(message);
  const reply = receive();
  if (reply === null) throw new CandidateEnded("the code's process ended while the tests were calling it");
  if ("raise" in reply) {
    const [name, text] = reply.raise;
    const Kind = typeof globalThis[name] === "function" && /Error$/.test(name) ? globalThis[name] : Error;
    const error = new Kind(text);
    if (Kind === Error && name !== "Error") error.name = name;
    throw error;
  }
  return decode(reply.ok, remote);
}

const handles = new WeakMap();
function localHandle(value) {
  if (handles.has(value)) return { $h: handles.get(value) };
  throw new TypeError(`a ${typeof value} cannot be passed to the code under test`);
}
const enc = (v) => encode(v, localHandle);

function remote(ref) {
  const h = ref.$h;
  const target = ref.fn !== undefined ? function () {} : {};
  if (ref.fn !== undefined) Object.defineProperty(target, "name", { value: ref.fn });
  const proxy = new Proxy(target, {
    apply: (_t, _self, args) => rpc({ op: "call", h, args: args.map(enc) }),
    construct: (_t, args) => rpc({ op: "new", h, args: args.map(enc) }),
    get: (t, name) => {
      if (typeof name === "symbol") {
        if (name === Symbol.iterator) return () => rpc({ op: "list", h })[Symbol.iterator]();
        return undefined;
      }
      if (name === "then" || name === "toJSON" || name === "constructor") return undefined;
      if (name === "name" && ref.fn !== undefined) return ref.fn;
      if (name === "toString") return () => rpc({ op: "str", h });
      return rpc({ op: "get", h, name });
    },
    has: () => false,
    ownKeys: (t) => Reflect.ownKeys(t),
    getOwnPropertyDescriptor: (t, k) => Reflect.getOwnPropertyDescriptor(t, k),
  });
  handles.set(proxy, h);
  return proxy;
}

/** The error's message and the test lines it came through (node's and the judge's own frames left out). */
function describe(error) {
  if (!(error instanceof Error) || typeof error.stack !== "string") return String(error);
  const lines = error.stack.split("\n");
  const frames = lines.filter((l) => /^\s+at /.test(l));
  const message = lines.filter((l) => !/^\s+at /.test(l)).join("\n").trimEnd();
  return [message, ...frames.filter((l) => l.includes("tests.cjs"))].join("\n");
}

function fail(code, text) {
  failed = true;
  if (text) console.error(text);
  try {
    send({ op: "exit" });
  } catch {}
  realExit(code);
}

process.on("uncaughtException", (error) => fail(error instanceof CandidateEnded ? ENDED : 1, describe(error)));
process.on("unhandledRejection", (error) => fail(1, describe(error)));
// A test that exits early has not completed.
process.exit = (code) => fail(code ? Number(code) || 1 : 1, "the tests exited before they completed");

const ready = receive();
if (ready === null) fail(ENDED, "the code ended before the tests completed (it exited while being loaded)");
else if ("raise" in ready) fail(ENDED, `the code raised ${ready.raise[0]} while being loaded: ${ready.raise[1]}`);
else {
  for (const [name, value] of ready.ready) globalThis[name] = decode(value, remote);
  Object.assign(globalThis, { require, module, exports: module.exports });
  const tests = fs.readFileSync(process.argv[2], "utf8");
  try {
    vm.runInThisContext(tests, { filename: "tests.cjs" });
  } catch (error) {
    if (error instanceof CandidateEnded) fail(ENDED, `${error.message} (before the tests completed)`);
    else fail(1, describe(error));
  }
  // Asynchronous tests settle first; the verdict is given once nothing is left to run.
  process.on("beforeExit", () => {
    if (failed) return;
    try {
      send({ op: "exit" });
    } catch {}
    realExit(0);
  });
}
