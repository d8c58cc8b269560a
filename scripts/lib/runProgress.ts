// Live progress of a run, per model: items done/total, passed, errors and the median generation speed of
// its replies so far, from the evaluator's event stream. On a terminal the lines are redrawn in place; in a
// log (CI, a pipe) a model's line is printed when it has moved on by a tenth, or every 15 s, and at the end.

export interface ProgressEvent {
  total: number;
  done: number;
  by_model: Record<string, { total: number; done: number; completed: number; errors: number; passed: number }>;
}

export interface ItemEvent {
  model: string;
  status: string;
  tokens_per_second: number | null;
  completion_tokens: number | null;
}

interface ModelState {
  total: number;
  done: number;
  passed: number;
  errors: number;
  speeds: number[];
  printedDone: number;
  printedAt: number;
}

export interface RunProgressOptions {
  write: (text: string) => void;
  tty: boolean;
  now?: () => number;
  /** Terminal columns (bar width follows). */
  columns?: number;
}

export class RunProgress {
  private readonly state = new Map<string, ModelState>();
  private drawnLines = 0;
  private readonly now: () => number;
  private readonly startedAt: number;

  constructor(
    private readonly models: string[],
    private readonly options: RunProgressOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    for (const m of models) this.state.set(m, { total: 0, done: 0, passed: 0, errors: 0, speeds: [], printedDone: -1, printedAt: 0 });
  }

  item(event: ItemEvent): void {
    const s = this.state.get(event.model);
    if (!s) return;
    if (
      event.status === "completed" &&
      event.tokens_per_second !== null &&
      event.tokens_per_second > 0 &&
      (event.completion_tokens ?? 1) > 1
    ) {
      s.speeds.push(event.tokens_per_second);
    }
  }

  progress(event: ProgressEvent): void {
    for (const [model, p] of Object.entries(event.by_model)) {
      const s = this.state.get(model);
      if (!s) continue;
      Object.assign(s, { total: p.total, done: p.done, passed: p.passed, errors: p.errors });
    }
    this.draw(false);
  }

  /** Draws the final state (every line, also in a log). */
  finish(): void {
    this.draw(true);
  }

  /** The line of one model. */
  line(model: string): string {
    const s = this.state.get(model)!;
    const width = Math.max(...this.models.map((m) => m.length));
    const fraction = s.total > 0 ? s.done / s.total : 0;
    const barWidth = Math.max(10, Math.min(30, (this.options.columns ?? 100) - 80));
    const filled = Math.round(fraction * barWidth);
    const bar = `${"█".repeat(filled)}${"░".repeat(barWidth - filled)}`;
    const speed = median(s.speeds);
    const count = `${s.done}/${s.total}`.padStart(2 * String(s.total).length + 1);
    return `  ${model.padEnd(width)}  ${bar}  ${count} ${`${Math.round(fraction * 100)}%`.padStart(4)}  passed ${s.passed}  errors ${s.errors}  ${speed === null ? "  -" : speed.toFixed(1)} tokens/s`;
  }

  /** Seconds since the run started, for the closing line. */
  elapsedSeconds(): number {
    return (this.now() - this.startedAt) / 1000;
  }

  private draw(final: boolean): void {
    if (this.options.tty) {
      const lines = this.models.map((m) => this.line(m));
      const up = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A` : "";
      this.options.write(`${up}${lines.map((l) => `\r\x1b[2K${l}\n`).join("")}`);
      this.drawnLines = lines.length;
      return;
    }
    const now = this.now();
    for (const model of this.models) {
      const s = this.state.get(model)!;
      if (s.done === s.printedDone) continue;
      const step = Math.max(1, Math.ceil(s.total / 10));
      if (final || s.done === s.total || s.done - s.printedDone >= step || s.printedDone < 0 || now - s.printedAt >= 15_000) {
        this.options.write(`${this.line(model)}\n`);
        s.printedDone = s.done;
        s.printedAt = now;
      }
    }
  }
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
