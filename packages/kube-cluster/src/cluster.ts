// A Kubernetes control plane on loopback: etcd, kube-apiserver (TLS, token auth, RBAC, service-account
// keys), kube-controller-manager, kube-scheduler, and KWOK playing the kubelets of fake nodes (it reports
// them Ready and takes their pods through Running, and Job pods to Succeeded; no container ever runs).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, isRunning, portInUse } from "@evalstack/local-stack";
import { recordedDaemons, spawnDaemon, stopDaemon, tail, type Daemon } from "./daemon.js";
import { applyFixtures, NODE_LEASE_SECONDS } from "./fixtures.js";
import { CLIENTS, generatePki, writeKubeconfig, type Client } from "./pki.js";
import { toolFile, toolPath } from "./tools.js";

const SERVICE_CIDR = "10.96.0.0/16";
const KUBERNETES_SERVICE_IP = "10.96.0.1";
const POD_CIDR = "10.244.0.0/16";

export interface ClusterPorts {
  etcd: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  kwok: number;
}

export interface StartClusterOptions {
  /** State directory (certificates, kubeconfigs, etcd data, logs, PID files). Default: a new temporary one. */
  dir?: string;
  /** Fixed ports; a taken one is refused. Missing ones are free ports. */
  ports?: Partial<ClusterPorts>;
  /** Kill the control plane when this process dies (tests). Default true. */
  dieWithParent?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface KubeCluster {
  dir: string;
  server: string;
  /** The admin's kubeconfig (system:masters). */
  kubeconfig: string;
  ports: ClusterPorts;
  /** Runs kubectl against the cluster; never throws, returns what it printed. */
  kubectl(args: string[], input?: string): { status: number | null; stdout: string; stderr: string };
  /** Stops every process it started (reverse order) and, if it created the directory, removes it. */
  stop(): Promise<void>;
}

export async function startCluster(options: StartClusterOptions = {}): Promise<KubeCluster> {
  const log = options.log ?? (() => {});
  const ownsDir = !options.dir;
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), "evalstack-kube-"));
  mkdirSync(dir, { recursive: true });
  if (recordedDaemons(dir).some((d) => d.running)) {
    throw new Error(`a cluster recorded in ${dir} is still running: stop it first (down)`);
  }
  const ports = await choosePorts(options.ports ?? {});
  const dieWithParent = options.dieWithParent ?? true;
  const started: Daemon[] = [];
  const stop = async () => {
    for (const daemon of [...started].reverse()) await stopDaemon(dir, daemon);
    started.length = 0;
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Every `up` is a fresh cluster: no etcd data or credentials from an earlier one.
    for (const stale of ["etcd", "logs", "pids"]) rmSync(path.join(dir, stale), { recursive: true, force: true });
    const pki = generatePki(dir, KUBERNETES_SERVICE_IP);
    const server = `https://127.0.0.1:${ports.apiserver}`;
    const kubeconfigs = Object.fromEntries(
      (Object.keys(CLIENTS) as Client[]).map((client) => [
        client,
        writeKubeconfig(path.join(dir, `${client}.kubeconfig`), server, pki.caCert, CLIENTS[client].user, pki.tokens[client]),
      ]),
    ) as Record<Client, string>;
    const kubeconfig = kubeconfigs.admin;
    const spawn = (name: string, tool: Parameters<typeof toolPath>[0], args: string[]) => {
      const daemon = spawnDaemon(dir, name, toolPath(tool), args, { dieWithParent });
      started.push(daemon);
      log(`${name}: started (pid ${daemon.identity.pid})`);
      return daemon;
    };

    const etcd = spawn("etcd", "etcd", [
      "--name=evalstack",
      `--data-dir=${path.join(dir, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${ports.etcd}`,
      `--advertise-client-urls=http://127.0.0.1:${ports.etcd}`,
      `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
      `--initial-cluster=evalstack=http://127.0.0.1:${ports.etcdPeer}`,
      // A throwaway test store: skipping fsync spares the shared disk; durability does not matter here.
      "--unsafe-no-fsync",
      "--log-level=warn",
    ]);
    await waitReady(etcd, "etcd /health", () =>
      httpGet(`http://127.0.0.1:${ports.etcd}/health`).then((b) => b.includes('"health":"true"')),
    );

    const apiserver = spawn("kube-apiserver", "kube-apiserver", [
      `--etcd-servers=http://127.0.0.1:${ports.etcd}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${ports.apiserver}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--token-auth-file=${pki.tokenFile}`,
      "--anonymous-auth=false",
      "--authorization-mode=RBAC",
      `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      // The `kubernetes` Service would get the loopback advertise address as its endpoint, which
      // validation refuses; no pod here ever calls the API server through it.
      "--endpoint-reconciler-type=none",
      "--profiling=false",
    ]);
    const token = pki.tokens.admin;
    await waitReady(
      apiserver,
      "kube-apiserver /readyz",
      () => httpsGet(`${server}/readyz`, pki.caCert, token).then((b) => b.trim() === "ok"),
      180_000,
    );

    const componentArgs = (client: Client, port: number) => [
      `--kubeconfig=${kubeconfigs[client]}`,
      `--authentication-kubeconfig=${kubeconfigs[client]}`,
      `--authorization-kubeconfig=${kubeconfigs[client]}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${port}`,
      "--leader-elect=false",
    ];
    const controllerManager = spawn("kube-controller-manager", "kube-controller-manager", [
      ...componentArgs("controllerManager", ports.controllerManager),
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      // Each controller acts as its own service account, with the bootstrap roles RBAC gives it.
      "--use-service-account-credentials=true",
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      "--cluster-name=evalstack-kwok",
      "--profiling=false",
    ]);
    const scheduler = spawn("kube-scheduler", "kube-scheduler", [...componentArgs("scheduler", ports.scheduler), "--profiling=false"]);
    await waitReady(controllerManager, "kube-controller-manager /healthz", () =>
      httpsGet(`https://127.0.0.1:${ports.controllerManager}/healthz`).then((b) => b.trim() === "ok"),
    );
    await waitReady(scheduler, "kube-scheduler /readyz", () =>
      httpsGet(`https://127.0.0.1:${ports.scheduler}/readyz`).then((b) => b.trim() === "ok"),
    );

    const kwok = spawn("kwok", "kwok", [
      `--kubeconfig=${kubeconfigs.kwok}`,
      `--config=${toolFile("kwok-stages.yaml")}`,
      "--manage-all-nodes=false",
      "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
      `--cidr=${POD_CIDR}`,
      `--server-address=127.0.0.1:${ports.kwok}`,
      // Each node's heartbeat is its Lease in kube-node-lease, renewed every quarter of this, as a kubelet
      // does. The kwok binary's own default is no leases (kwokctl passes 40): then nothing renews the nodes
      // but the heartbeat stage, which (meant for leases) updates node status only every 10-20 min; the
      // node-lifecycle controller marks both nodes NotReady 50 s after start and every 55 s after that, and
      // sets Ready=False on every pod on them. KWOK's node-initialize stage makes the nodes Ready again at
      // once, but nothing readies those pods (the pod-ready stage takes Pending pods only): an install whose
      // pods were created in the second before a flap never got its ReplicaSets' readyReplicas and helm
      // --wait timed out ("context deadline exceeded"), while `kubectl get pods` still said 1/1 Running.
      `--node-lease-duration-seconds=${NODE_LEASE_SECONDS}`,
    ]);
    await waitReady(kwok, "kwok /healthz", () => httpGet(`http://127.0.0.1:${ports.kwok}/healthz`).then((b) => b.trim() === "ok"));

    const kubectl = (args: string[], input?: string) => {
      const r = spawnSync(toolPath("kubectl"), ["--kubeconfig", kubeconfig, ...args], {
        encoding: "utf8",
        input,
        maxBuffer: 64 * 1024 * 1024,
      });
      if (r.error) throw r.error;
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    await applyFixtures(kubectl, log);
    writeFileSync(path.join(dir, "server"), server + "\n");
    log(`cluster ready: KUBECONFIG=${kubeconfig}`);
    return { dir, server, kubeconfig, ports, kubectl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Stops the processes a state directory records (`down`, from another process than `up`). */
export async function stopRecordedCluster(dir: string, log: (line: string) => void = () => {}): Promise<number> {
  const daemons = recordedDaemons(dir).reverse();
  for (const daemon of daemons) {
    if (daemon.running) log(`${daemon.name}: stopping (pid ${daemon.identity.pid})`);
    await stopDaemon(dir, daemon);
  }
  return daemons.filter((d) => d.running).length;
}

async function choosePorts(fixed: Partial<ClusterPorts>): Promise<ClusterPorts> {
  const names: Array<keyof ClusterPorts> = ["etcd", "etcdPeer", "apiserver", "controllerManager", "scheduler", "kwok"];
  const ports = {} as ClusterPorts;
  for (const name of names) {
    const port = fixed[name];
    if (port !== undefined && port !== 0) {
      if (await portInUse(port))
        throw new Error(`port ${port} (${name}) is already in use on 127.0.0.1: choose another or leave it to the launcher`);
      ports[name] = port;
    } else {
      ports[name] = await freePort();
    }
  }
  return ports;
}

/** Polls `probe` until it holds; fails at once, with the log's tail, when the process exits. */
async function waitReady(daemon: Daemon, what: string, probe: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    if (!isRunning(daemon.identity)) throw new Error(`${daemon.name} exited before ${what}; its log (${daemon.log}):\n${tail(daemon.log)}`);
    try {
      if (await probe()) return;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > until) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last: ${last})` : ""}; log ${daemon.log}:\n${tail(daemon.log)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { timeout: 5_000 }, (res) => collect(res, resolve, reject));
    req
      .on("error", reject)
      .on("timeout", () => req.destroy(new Error("timeout")))
      .end();
  });
}

/** GET over TLS: verified against `ca` when given (the API server), else not (the components' self-signed serving certs). */
function httpsGet(url: string, ca?: string, token?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        timeout: 5_000,
        ...(ca ? { ca: readFileSync(ca) } : { rejectUnauthorized: false }),
        headers: token ? { authorization: `Bearer ${token}` } : {},
      },
      (res) => collect(res, resolve, reject),
    );
    req
      .on("error", reject)
      .on("timeout", () => req.destroy(new Error("timeout")))
      .end();
  });
}

function collect(res: import("node:http").IncomingMessage, resolve: (body: string) => void, reject: (e: Error) => void): void {
  let body = "";
  res.setEncoding("utf8");
  res.on("data", (chunk: string) => (body += chunk));
  res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}: ${body.slice(0, 200)}`))));
  res.on("error", reject);
}
