import { type Report } from "@evalstack/evaluator/reports";
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  good(text: string): string;
  bad(text: string): string;
}
export declare const PLAIN: Style;
export declare const ANSI: Style;
/** ANSI colours when writing to a terminal that wants them. */
export declare function styleFor(
  stream: {
    isTTY?: boolean;
  },
  env?: NodeJS.ProcessEnv,
): Style;
/** Columns a string takes in a terminal: escape codes take none, East Asian wide characters two. */
export declare function displayWidth(text: string): number;
/** A plain table: a header row, a rule, the rows; `right` marks right-aligned columns. */
export declare function table(header: string[], rows: string[][], right?: boolean[], style?: Style): string;
export declare function renderTerminalReport(report: Report, style?: Style): string;
