// Free loopback ports for test processes, so parallel test runs (several engineers, CI) never collide.
import { freePort } from "@evalstack/local-stack";

export { freePort };

/** Several distinct free ports. */
export async function freePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort(host));
  return [...ports];
}
