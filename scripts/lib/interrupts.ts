// Ctrl-C for the launchers: the first interrupt asks for a clean stop (the abort signal), a second one kills
// at once. One Ctrl-C under `npm run` can arrive more than once (the terminal signals the whole process group,
// and npm and tsx forward it again), so deliveries within `debounceMs` of the first count as the same one.

export type InterruptSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

export interface SignalSource {
  on(event: InterruptSignal, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: InterruptSignal, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface InterruptOptions {
  /** The first interrupt: start a clean stop. */
  onFirst: (signal: NodeJS.Signals) => void;
  /** A second interrupt: kill everything now. */
  onSecond: (signal: NodeJS.Signals) => void;
  debounceMs?: number;
  signals?: InterruptSignal[];
  source?: SignalSource;
  now?: () => number;
}

export interface Interrupts {
  /** Aborts on the first interrupt. */
  signal: AbortSignal;
  readonly count: number;
  dispose(): void;
}

export function handleInterrupts(options: InterruptOptions): Interrupts {
  const source: SignalSource = options.source ?? process;
  const now = options.now ?? Date.now;
  const debounceMs = options.debounceMs ?? 500;
  const signals = options.signals ?? ["SIGINT", "SIGTERM", "SIGHUP"];
  const controller = new AbortController();
  let count = 0;
  let firstAt = 0;
  const listener = (signal: NodeJS.Signals) => {
    if (count === 0) {
      count = 1;
      firstAt = now();
      controller.abort(new InterruptedError(signal));
      options.onFirst(signal);
    } else if (count === 1 && now() - firstAt >= debounceMs) {
      count = 2;
      options.onSecond(signal);
    }
  };
  for (const s of signals) source.on(s, listener);
  return {
    signal: controller.signal,
    get count() {
      return count;
    },
    dispose() {
      for (const s of signals) source.off(s, listener);
    },
  };
}

export class InterruptedError extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted (${signal})`);
    this.name = "InterruptedError";
  }
}

/** The exit code of a process ended by `signal` (130 for SIGINT). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<string, number>)[signal]! || 130;
}
