// Errors as RFC 9457 problem details (application/problem+json): a status, a title, a detail, and for
// validation errors the list of fields at fault.
import { z } from "@hono/zod-openapi";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export interface FieldIssue {
  /** Where the problem is: `models[1]`, `items[3].checks[0].type`, `repeats`, the `Authorization` header. */
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldIssue[];
}

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "https://evalstack.dev/problems/validation" }),
    title: z.string().openapi({ example: "Request validation failed" }),
    status: z.number().int().openapi({ example: 422 }),
    detail: z.string().openapi({ example: "repeats: must be at most 100" }),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

const TITLES: Record<number, [string, string]> = {
  400: ["bad-request", "Bad request"],
  401: ["unauthorized", "Missing or invalid API key"],
  404: ["not-found", "Not found"],
  405: ["method-not-allowed", "Method not allowed"],
  409: ["conflict", "Conflict"],
  413: ["body-too-large", "Request body too large"],
  415: ["unsupported-media-type", "Unsupported media type"],
  422: ["validation", "Request validation failed"],
  429: ["too-many-requests", "Too many requests"],
  500: ["internal", "Internal error"],
  503: ["unavailable", "Service unavailable"],
};

/** Thrown anywhere in a handler; the app's error handler answers with the problem. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly errors?: FieldIssue[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
    this.name = "ApiError";
  }
}

export function problem(status: number, detail: string, errors?: FieldIssue[], instance?: string): Problem {
  const [slug, title] = TITLES[status] ?? ["error", "Error"];
  return {
    type: `https://evalstack.dev/problems/${slug}`,
    title,
    status,
    detail,
    ...(instance ? { instance } : {}),
    ...(errors?.length ? { errors } : {}),
  };
}

export function problemResponse(
  status: number,
  detail: string,
  options: { errors?: FieldIssue[]; instance?: string; headers?: Record<string, string> } = {},
): Response {
  return new Response(JSON.stringify(problem(status, detail, options.errors, options.instance)), {
    status,
    headers: { "content-type": PROBLEM_CONTENT_TYPE, ...options.headers },
  });
}

/** Zod issue paths as the API names fields: ["models", 1] → "models[1]", ["sampling", "top_p"] → "sampling.top_p". */
export function issuePath(path: readonly PropertyKey[], prefix = ""): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || "(body)";
}

/** "Validation failed" detail naming each field at fault (the first few). */
export function summarize(errors: FieldIssue[]): string {
  const shown = errors.slice(0, 5).map((e) => `${e.path}: ${e.message}`);
  if (errors.length > 5) shown.push(`... and ${errors.length - 5} more`);
  return shown.join("; ");
}
