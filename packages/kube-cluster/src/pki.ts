// The cluster's credentials, generated with openssl into the state directory: a CA, the API server's
// serving certificate (loopback and in-cluster names), the service-account signing key pair, and a bearer
// token per client (token auth; RBAC decides what each may do).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";

/** The users of --token-auth-file: the controllers' names are the ones RBAC's bootstrap roles bind. */
export const CLIENTS = {
  admin: { user: "evalstack-admin", groups: ["system:masters"] },
  controllerManager: { user: "system:kube-controller-manager", groups: [] },
  scheduler: { user: "system:kube-scheduler", groups: [] },
  // KWOK plays every node's kubelet: node and pod status, leases, pod deletion.
  kwok: { user: "kwok-controller", groups: ["system:masters"] },
} as const;
export type Client = keyof typeof CLIENTS;

export interface Pki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
  tokenFile: string;
  tokens: Record<Client, string>;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (r.error) throw new Error(`openssl is required to generate the cluster's certificates: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.trim()}`);
}

/** Generates everything into `dir` (which must exist). `serviceIp` is the `kubernetes` Service's ClusterIP. */
export function generatePki(dir: string, serviceIp: string): Pki {
  const file = (name: string) => path.join(dir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "3650", "-subj", "/CN=evalstack-kwok-ca"], dir);
  openssl(["req", "-new", ...ec, "-keyout", "apiserver.key", "-out", "apiserver.csr", "-subj", "/CN=kube-apiserver"], dir);
  const names = ["kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "localhost"];
  writeFileSync(
    file("apiserver.ext"),
    [
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      `subjectAltName=IP:127.0.0.1,IP:${serviceIp},${names.map((n) => `DNS:${n}`).join(",")}`,
      "",
    ].join("\n"),
  );
  openssl(
    [
      "x509",
      "-req",
      "-in",
      "apiserver.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "365",
      "-out",
      "apiserver.crt",
      "-extfile",
      "apiserver.ext",
    ],
    dir,
  );
  openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key"], dir);
  openssl(["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);

  const tokens = Object.fromEntries(Object.keys(CLIENTS).map((client) => [client, randomBytes(24).toString("hex")])) as Record<
    Client,
    string
  >;
  const lines = (Object.keys(CLIENTS) as Client[]).map((client, i) => {
    const { user, groups } = CLIENTS[client];
    return `${tokens[client]},${user},uid-${i + 1}${groups.length ? `,"${groups.join(",")}"` : ""}`;
  });
  writeFileSync(file("tokens.csv"), lines.join("\n") + "\n", { mode: 0o600 });
  return {
    caCert: file("ca.crt"),
    caKey: file("ca.key"),
    serverCert: file("apiserver.crt"),
    serverKey: file("apiserver.key"),
    serviceAccountKey: file("sa.key"),
    serviceAccountPub: file("sa.pub"),
    tokenFile: file("tokens.csv"),
    tokens,
  };
}

/** A kubeconfig for one client: the loopback server, the CA, the client's token. */
export function writeKubeconfig(file: string, server: string, caCert: string, user: string, token: string): string {
  const text = `apiVersion: v1
kind: Config
clusters:
  - name: evalstack-kwok
    cluster:
      server: ${server}
      certificate-authority: ${caCert}
users:
  - name: ${user}
    user:
      token: ${token}
contexts:
  - name: evalstack-kwok
    context:
      cluster: evalstack-kwok
      user: ${user}
current-context: evalstack-kwok
`;
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}
