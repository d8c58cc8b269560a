/**
 * The sum of the samples named `name` in a Prometheus text exposition whose labels include all of `labels`
 * (so `{ model: "alpha" }` adds up every series of that model); undefined when no line matches. For tests
 * and scripts that read /metrics: `prometheusSample(text, "gen_ai_server_time_to_first_token_count")`.
 */
export function prometheusSample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let sum: number | undefined;
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum = (sum ?? 0) + Number(m[3]);
  }
  return sum;
}
