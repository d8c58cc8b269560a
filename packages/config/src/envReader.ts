// Typed reading of environment variables, shared by every process's config.ts. An unset or empty variable
// takes its default; a bad value throws a ConfigError naming the variable, so a process stops at start-up
// with a message that says which setting to fix.

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
  }
}

/** "500ms", "10s", "2m", "1h30m", or a bare number of seconds → milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = trimmed;
  const part = /^(\d+(?:\.\d+)?)(ms|s|m|h)/;
  if (rest.length === 0) throw new Error("empty duration");
  while (rest.length > 0) {
    const match = part.exec(rest);
    if (!match) throw new Error(`not a duration: "${text}" (use e.g. 500ms, 10s, 2m, 1h30m)`);
    total += Number(match[1]) * (unitMs[match[2] as string] ?? 0);
    rest = rest.slice(match[0].length);
  }
  return total;
}

export interface NumberBounds {
  min?: number;
  max?: number;
}

export class EnvReader {
  constructor(readonly env: Env = process.env) {}

  /** The trimmed value, or undefined when unset or blank. */
  optionalString(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  string(name: string, fallback: string): string {
    return this.optionalString(name) ?? fallback;
  }

  integer(name: string, fallback: number, bounds: NumberBounds = {}): number {
    return this.optionalInteger(name, bounds) ?? fallback;
  }

  optionalInteger(name: string, bounds: NumberBounds = {}): number | undefined {
    const raw = this.optionalString(name);
    if (raw === undefined) return undefined;
    if (!/^[-+]?\d+$/.test(raw)) throw new ConfigError(name, `must be an integer${describeBounds(bounds)}, got "${raw}"`);
    return checkBounds(name, Number(raw), bounds);
  }

  number(name: string, fallback: number, bounds: NumberBounds = {}): number {
    return this.optionalNumber(name, bounds) ?? fallback;
  }

  optionalNumber(name: string, bounds: NumberBounds = {}): number | undefined {
    const raw = this.optionalString(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new ConfigError(name, `must be a number${describeBounds(bounds)}, got "${raw}"`);
    return checkBounds(name, value, bounds);
  }

  /** A duration ("500ms", "10s", "2m", "1h30m", bare seconds) in milliseconds. */
  durationMs(name: string, fallback: string): number {
    const raw = this.string(name, fallback);
    try {
      return parseDuration(raw);
    } catch (error) {
      throw new ConfigError(name, (error as Error).message);
    }
  }

  /** A comma-separated list of positive integers. */
  integerList(name: string, fallback: number[]): number[] {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    const values = raw.split(",").map((part) => Number(part.trim()));
    if (values.some((v) => !Number.isInteger(v) || v < 1)) {
      throw new ConfigError(name, `expected a comma-separated list of positive integers, got "${raw}"`);
    }
    return values;
  }

  /** One of `allowed`, compared as written (callers lower-case first when case does not matter). */
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(name, fallback);
    if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(name, `must be one of ${allowed.join(", ")}, got "${raw}"`);
    return raw as T;
  }

  /** "1", "true", "yes" or "on" (any case) → true; "0", "false", "no", "off" → false. */
  flag(name: string, fallback: boolean): boolean {
    const raw = this.optionalString(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (["1", "true", "yes", "on"].includes(raw)) return true;
    if (["0", "false", "no", "off"].includes(raw)) return false;
    throw new ConfigError(name, `must be true or false (1/0, yes/no, on/off), got "${raw}"`);
  }
}

function describeBounds({ min, max }: NumberBounds): string {
  if (min !== undefined && max !== undefined) return ` between ${min} and ${max}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return "";
}

function checkBounds(name: string, value: number, bounds: NumberBounds): number {
  if ((bounds.min !== undefined && value < bounds.min) || (bounds.max !== undefined && value > bounds.max)) {
    throw new ConfigError(name, `must be${describeBounds(bounds)}, got ${value}`);
  }
  return value;
}
