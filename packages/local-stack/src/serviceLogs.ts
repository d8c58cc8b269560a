// The services log JSON lines (pino). When one fails, the launcher shows the line that says why.

export interface LogLine {
  level?: number;
  msg?: string;
  err?: string;
  [key: string]: unknown;
}

/** A JSON log line, or undefined for anything else (plain text, a partial line). */
export function parseLogLine(line: string): LogLine | undefined {
  const text = line.trim();
  if (!text.startsWith("{")) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === "object" && !Array.isArray(value) ? (value as LogLine) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why a service stopped, from its output: the last error/fatal log line (level >= 50: its message and its
 * `err`), else the last non-empty line that is not JSON (a stack trace's first line), else undefined.
 */
export function failureReason(output: string): string | undefined {
  const lines = output.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const log = parseLogLine(lines[i]!);
    if (log && (log.level ?? 0) >= 50) {
      const parts = [log.msg, typeof log.err === "string" ? log.err : undefined].filter((p): p is string => Boolean(p));
      if (parts.length > 0) return parts.join(": ");
    }
  }
  const plain = lines.map((l) => l.trim()).filter((l) => l && !parseLogLine(l));
  const error = plain.find((l) => /^\w*Error\b|^error:/i.test(l));
  return error ?? plain.at(-1);
}
