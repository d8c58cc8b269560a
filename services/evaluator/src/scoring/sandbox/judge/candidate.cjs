// The candidate's side (its own sandbox): runs the reply's code as a script, then serves the judge's calls
// to what it defined. Nothing here decides anything: whatever this process says is just the candidate's answer.
const vm = require("node:vm");
const objects = [];

function handle(value) {
  objects.push(value);
  const ref = { $h: objects.length - 1 };
  if (typeof value === "function") ref.fn = value.name || "function";
  else ref.type = value?.constructor?.name ?? typeof value;
  return ref;
}
const resolve = (ref) => objects[ref.$h];

function errorReply(error) {
  const name = error && typeof error === "object" && typeof error.name === "string" ? error.name : "Error";
  const message = error && typeof error === "object" && "message" in error ? String(error.message) : String(error);
  return { raise: [name, message.slice(0, 500)] };
}

function serve() {
  const source = fs.readFileSync(process.argv[2], "utf8");
  const before = new Set(Object.getOwnPropertyNames(globalThis));
  Object.assign(globalThis, { require, module, exports: module.exports });
  try {
    vm.runInThisContext(source, { filename: "main.cjs" });
  } catch (error) {
    console.error(error && error.stack ? error.stack : String(error));
    send(errorReply(error));
    return;
  }
  // Declarations of the script: functions and vars are globals; let, const and class live in the script scope.
  const names = Object.getOwnPropertyNames(globalThis).filter((n) => !before.has(n) && !["require", "module", "exports"].includes(n));
  for (const m of source.matchAll(/^[ \t]*(?:export\s+)?(?:const|let|var|class|function\*?|async\s+function)\s+([A-Za-z_$][\w$]*)/gm)) {
    if (!names.includes(m[1])) names.push(m[1]);
  }
  const ready = [];
  for (const name of names) {
    let value;
    try {
      value = vm.runInThisContext(`typeof ${name} === "undefined" ? undefined : ${name}`);
    } catch {
      continue;
    }
    if (value !== undefined) ready.push([name, encode(value, handle)]);
  }
  send({ ready });
  for (;;) {
    const message = receive();
    if (message === null || message.op === "exit") return;
    let reply;
    try {
      const target = objects[message.h];
      let result;
      if (message.op === "call") result = Reflect.apply(target, message.self === undefined ? undefined : resolve(message.self), message.args.map((a) => decode(a, resolve)));
      else if (message.op === "new") result = Reflect.construct(target, message.args.map((a) => decode(a, resolve)));
      else if (message.op === "get") {
        result = target[message.name];
        if (typeof result === "function") result = result.bind(target);
      } else if (message.op === "list") result = [...target];
      else if (message.op === "str") result = String(target);
      else throw new Error("unknown operation");
      reply = { ok: encode(result, handle) };
    } catch (error) {
      reply = errorReply(error);
    }
    send(reply);
  }
}

serve();
