// The value encoding shared by judge.cjs and candidate.cjs (concatenated in front of each): JSON with tags,
// so that undefined, NaN, -0, BigInt, Map, Set and Date survive the trip; anything else is a handle.
const fs = require("node:fs");
const IN = 4;
const OUT = 5;
let buffer = Buffer.alloc(0);

function send(message) {
  let data = Buffer.from(JSON.stringify(message) + "\n");
  while (data.length > 0) {
    try {
      data = data.subarray(fs.writeSync(OUT, data));
    } catch (e) {
      if (e.code !== "EAGAIN") throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/** The next message, or null once the other side has ended. */
function receive() {
  const chunk = Buffer.alloc(1 << 16);
  while (!buffer.includes(10)) {
    let n;
    try {
      n = fs.readSync(IN, chunk, 0, chunk.length, null);
    } catch (e) {
      if (e.code === "EAGAIN") {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      if (e.code === "EOF" || e.code === "ECONNRESET") return null;
      throw e;
    }
    if (n === 0) return null;
    buffer = Buffer.concat([buffer, chunk.subarray(0, n)]);
  }
  const end = buffer.indexOf(10);
  const line = buffer.subarray(0, end).toString("utf8");
  buffer = buffer.subarray(end + 1);
  return JSON.parse(line);
}

function encode(value, handle) {
  if (value === undefined) return { $u: 1 };
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") {
    if (Number.isNaN(value)) return { $n: "NaN" };
    if (value === Infinity) return { $n: "Infinity" };
    if (value === -Infinity) return { $n: "-Infinity" };
    if (Object.is(value, -0)) return { $n: "-0" };
    return value;
  }
  if (typeof value === "bigint") return { $big: value.toString() };
  if (Array.isArray(value)) return value.map((v) => encode(v, handle));
  if (value instanceof Map) return { $map: [...value].map(([k, v]) => [encode(k, handle), encode(v, handle)]) };
  if (value instanceof Set) return { $set: [...value].map((v) => encode(v, handle)) };
  if (value instanceof Date) return { $date: value.getTime() };
  if (typeof value === "object" && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    return { $o: Object.entries(value).map(([k, v]) => [k, encode(v, handle)]) };
  }
  return handle(value);
}

function decode(value, handle) {
  if (Array.isArray(value)) return value.map((v) => decode(v, handle));
  if (value === null || typeof value !== "object") return value;
  if ("$u" in value) return undefined;
  if ("$n" in value) return value.$n === "-0" ? -0 : Number(value.$n);
  if ("$big" in value) return BigInt(value.$big);
  if ("$map" in value) return new Map(value.$map.map(([k, v]) => [decode(k, handle), decode(v, handle)]));
  if ("$set" in value) return new Set(value.$set.map((v) => decode(v, handle)));
  if ("$date" in value) return new Date(value.$date);
  if ("$o" in value) return Object.fromEntries(value.$o.map(([k, v]) => [k, decode(v, handle)]));
  if ("$h" in value) return handle(value);
  throw new Error("unknown value tag");
}
