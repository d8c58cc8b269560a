// npm run kube -- up|down|status [--dir DIR] [--port PORT]: a local control plane with fake GPU nodes to try
// the chart on (see k8s/README.md). `up` leaves it running and prints the KUBECONFIG; `down` stops exactly
// the processes `up` recorded in DIR/pids.
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { recordedDaemons } from "./daemon.js";
import { startCluster, stopRecordedCluster } from "./cluster.js";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    dir: { type: "string", default: path.join(tmpdir(), "evalstack-kube") },
    port: { type: "string" },
  },
});
const command = positionals[0];
const dir = path.resolve(values.dir);
const log = (line: string) => console.log(`kube: ${line}`);

async function main(): Promise<number> {
  switch (command) {
    case "up": {
      const port = values.port === undefined ? undefined : Number(values.port);
      if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
        console.error(`kube: --port must be a TCP port number, got ${JSON.stringify(values.port)}`);
        return 2;
      }
      const start = Date.now();
      const cluster = await startCluster({ dir, dieWithParent: false, log, ports: port ? { apiserver: port } : {} });
      log(`up in ${((Date.now() - start) / 1000).toFixed(1)} s; state, logs and PID files in ${cluster.dir}`);
      console.log(`export KUBECONFIG=${cluster.kubeconfig}`);
      return 0;
    }
    case "down": {
      const stopped = await stopRecordedCluster(dir, log);
      log(stopped ? `stopped ${stopped} processes` : `nothing running in ${dir}`);
      return 0;
    }
    case "status": {
      const daemons = recordedDaemons(dir);
      if (!daemons.length) log(`nothing recorded in ${dir}`);
      for (const d of daemons) log(`${d.name}: ${d.running ? "running" : "not running"} (pid ${d.identity.pid}, log ${d.log})`);
      return daemons.length && daemons.every((d) => d.running) ? 0 : 1;
    }
    default:
      console.error("usage: npm run kube -- up|down|status [--dir DIR] [--port APISERVER_PORT]");
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`kube: ${error.message}`);
    process.exit(1);
  },
);
