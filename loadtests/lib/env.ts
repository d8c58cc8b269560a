// Typed reading of the environment variables that configure a load-test script. Every script is driven by
// environment variables (so a Kubernetes Job, CI and a developer's shell configure it the same way).

/** "500ms", "10s", "2m", "1h30m", or a bare number of seconds → milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = trimmed;
  const part = /^(\d+(?:\.\d+)?)(ms|s|m|h)/;
  if (rest.length === 0) throw new Error(`empty duration`);
  while (rest.length > 0) {
    const match = part.exec(rest);
    if (!match) throw new Error(`not a duration: "${text}" (use e.g. 500ms, 10s, 2m, 1h30m)`);
    total += Number(match[1]) * (unitMs[match[2] as string] ?? 0);
    rest = rest.slice(match[0].length);
  }
  return total;
}

export type Env = Readonly<Record<string, string | undefined>>;

export class EnvReader {
  constructor(private readonly env: Env = process.env) {}

  string(name: string, fallback: string): string {
    const value = this.env[name];
    return value === undefined || value === "" ? fallback : value;
  }

  optionalString(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === "" ? undefined : value;
  }

  number(name: string, fallback: number, { min, integer }: { min?: number; integer?: boolean } = {}): number {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new Error(`${name}: not a number: "${raw}"`);
    if (integer && !Number.isInteger(value)) throw new Error(`${name}: not an integer: "${raw}"`);
    if (min !== undefined && value < min) throw new Error(`${name}: must be >= ${min}, got ${raw}`);
    return value;
  }

  optionalNumber(name: string): number | undefined {
    const raw = this.optionalString(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new Error(`${name}: not a number: "${raw}"`);
    return value;
  }

  durationMs(name: string, fallback: string): number {
    const raw = this.string(name, fallback);
    try {
      return parseDuration(raw);
    } catch (error) {
      throw new Error(`${name}: ${(error as Error).message}`);
    }
  }

  integerList(name: string, fallback: number[]): number[] {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    const values = raw.split(",").map((part) => Number(part.trim()));
    if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1)) {
      throw new Error(`${name}: expected a comma-separated list of positive integers, got "${raw}"`);
    }
    return values;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(name, fallback);
    if (!(allowed as readonly string[]).includes(raw)) {
      throw new Error(`${name}: expected one of ${allowed.join(", ")}, got "${raw}"`);
    }
    return raw as T;
  }
}
