// The load test's former name, kept so that the chart's load-test Job, the k8s manifests and old commands keep
// working: everything lives in generate.ts (both protocols; PROTOCOL / --protocol picks one).
export * from "./generate.js";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { main } from "./generate.js";

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
