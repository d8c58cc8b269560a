// The `evalstack` command line: score one reply, validate a suite file, list built-in suites, render a
// report from an exported run, show the sandbox's isolation. JSON on stdout; errors as problem JSON on stderr.
//
//   evalstack score --item item.json --reply reply.txt     (either may be "-" for stdin)
//   evalstack validate --suite suite.jsonl [--format json|jsonl]
//   evalstack suites [--items]
//   evalstack report --input run.json --format md|html|json|csv [--out file]
//   evalstack sandbox

import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildReport, REPORT_FORMATS, type ReportFormat, type ReportInput, renderReport } from "../reports/index.js";
import { Sandbox } from "../scoring/sandbox/sandbox.js";
import { loadSandboxConfig } from "../config.js";
import { scoreReply } from "../scoring/scoreReply.js";
import { validateItem } from "../scoring/validateItem.js";
import { SuiteValidationError } from "../scoring/validationError.js";
import { builtinSuites, parseSuiteText } from "../suites/index.js";

export const USAGE = `usage:
  evalstack score --item ITEM.json --reply REPLY.txt   score one reply against one suite item ("-" reads stdin)
  evalstack validate --suite SUITE.jsonl [--format json|jsonl]
  evalstack suites [--items]                           the built-in suites
  evalstack report --input RUN.json --format md|html|json|csv [--out FILE]
                                                       RUN.json: {"run", "models", "items"} as the API stores them
  evalstack sandbox                                    which isolation the code sandbox uses here`;

export class UsageError extends Error {}

function readInput(path: string, stdin: () => string): string {
  return path === "-" ? stdin() : readFileSync(path, "utf8");
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SuiteValidationError([{ path: what, message: `not valid JSON: ${(err as Error).message}` }]);
  }
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdin: () => string;
}

/** Runs one command; returns the exit code (0 done, 2 bad usage or invalid input, 1 anything else). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "score": {
        const { values } = parseArgs({ args: rest, options: { item: { type: "string" }, reply: { type: "string" } }, strict: true });
        if (!values.item || !values.reply) throw new UsageError("score needs --item and --reply");
        if (values.item === "-" && values.reply === "-") throw new UsageError("only one of --item and --reply can read stdin");
        const item = validateItem(parseJson(readInput(values.item, io.stdin), "item"));
        if (item.dimension === "latency") throw new UsageError("latency items are scored from timings, not from a reply");
        const reply = readInput(values.reply, io.stdin);
        const score = await scoreReply(item, reply, { sandbox: new Sandbox(loadSandboxConfig()) });
        io.stdout(`${JSON.stringify(score, null, 2)}\n`);
        return 0;
      }
      case "validate": {
        const { values } = parseArgs({ args: rest, options: { suite: { type: "string" }, format: { type: "string" } }, strict: true });
        if (!values.suite) throw new UsageError("validate needs --suite");
        if (values.format !== undefined && values.format !== "json" && values.format !== "jsonl")
          throw new UsageError("--format must be json or jsonl");
        const items = parseSuiteText(readInput(values.suite, io.stdin), values.format as "json" | "jsonl" | undefined);
        const byDimension: Record<string, number> = {};
        for (const i of items) byDimension[i.dimension] = (byDimension[i.dimension] ?? 0) + 1;
        io.stdout(`${JSON.stringify({ valid: true, items: items.length, by_dimension: byDimension }, null, 2)}\n`);
        return 0;
      }
      case "suites": {
        const { values } = parseArgs({ args: rest, options: { items: { type: "boolean" } }, strict: true });
        const suites = builtinSuites().map((s) => (values.items ? s : { id: s.id, description: s.description, items: s.items.length }));
        io.stdout(`${JSON.stringify(suites, null, 2)}\n`);
        return 0;
      }
      case "report": {
        const { values } = parseArgs({
          args: rest,
          options: { input: { type: "string" }, format: { type: "string" }, out: { type: "string" } },
          strict: true,
        });
        if (!values.input) throw new UsageError("report needs --input");
        const format = (values.format ?? "md") as ReportFormat;
        if (!REPORT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${REPORT_FORMATS.join(", ")}`);
        const input = parseJson(readInput(values.input, io.stdin), "input") as ReportInput;
        if (!input || typeof input !== "object" || !input.run || !Array.isArray(input.items) || !Array.isArray(input.models)) {
          throw new UsageError("--input must hold {run, models, items}");
        }
        const { body } = renderReport(buildReport(input), format);
        if (values.out) writeFileSync(values.out, body);
        else io.stdout(body);
        return 0;
      }
      case "sandbox": {
        io.stdout(`${JSON.stringify(await new Sandbox(loadSandboxConfig()).isolation(), null, 2)}\n`);
        return 0;
      }
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.stdout(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (err) {
    if (err instanceof SuiteValidationError) {
      io.stderr(
        `${JSON.stringify({ type: "about:blank", title: "Invalid item or suite", status: 422, detail: err.message, errors: err.issues }, null, 2)}\n`,
      );
      return 2;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`evalstack: ${(err as Error).message}\n${USAGE}\n`);
      return 2;
    }
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      io.stderr(`evalstack: ${(err as Error).message}\n`);
      return 2;
    }
    io.stderr(`evalstack: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
