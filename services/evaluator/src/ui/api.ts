// The pages read what the API serves, in process: the same routes, validation and caches a notebook gets,
// called with the signed-in user's key as the bearer token (so the API's own auth applies), the page's
// request id, and the page's trace context (the API calls are child spans of the page's span).
import type { z } from "@hono/zod-openapi";
import { context, propagation } from "@evalstack/telemetry";
import type { Problem } from "../api/problem.js";
import type { ItemRowSchema, ModelRowSchema, RunRowSchema, RunSchema, SuiteRowSchema, SuiteSchema } from "../api/schemas.js";
import type { Report } from "../reports/index.js";

export type Run = z.infer<typeof RunSchema>;
export type RunRow = z.infer<typeof RunRowSchema>;
export type ItemRow = z.infer<typeof ItemRowSchema>;
export type ModelRow = z.infer<typeof ModelRowSchema>;
export type SuiteRow = z.infer<typeof SuiteRowSchema>;
export type Suite = z.infer<typeof SuiteSchema>;
export type { Report };

/** The app the UI is mounted in (its `request` runs a request through every middleware and route). */
export interface ApiTarget {
  request(input: string, init?: RequestInit): Response | Promise<Response>;
}

/** A non-2xx answer from the API, with its problem details. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem>,
  ) {
    super(problem.detail ?? `HTTP ${status}`);
    this.name = "ApiFailure";
  }
}

export interface ApiClient {
  /** GET a JSON resource; throws ApiFailure on a non-2xx answer. */
  json<T>(path: string): Promise<T>;
  /** GET with the headers of the answer (lists carry X-Total-Count). */
  jsonWithTotal<T>(path: string): Promise<{ body: T; total: number }>;
  /** The raw answer (reports). */
  get(path: string): Promise<Response>;
}

export function apiClient(target: ApiTarget, key: string | undefined, requestId: string | undefined): ApiClient {
  const headers = (): Record<string, string> => {
    const h: Record<string, string> = { accept: "application/json" };
    if (key) h.authorization = `Bearer ${key}`;
    if (requestId) h["x-request-id"] = requestId;
    propagation.inject(context.active(), h);
    return h;
  };
  const get = async (path: string) => target.request(path, { headers: headers() });
  const fail = async (res: Response): Promise<never> => {
    let problem: Partial<Problem> = {};
    try {
      problem = (await res.json()) as Partial<Problem>;
    } catch {
      problem = { detail: `HTTP ${res.status}` };
    }
    throw new ApiFailure(res.status, problem);
  };
  return {
    get,
    async json<T>(path: string) {
      const res = await get(path);
      if (!res.ok) return fail(res);
      return (await res.json()) as T;
    },
    async jsonWithTotal<T>(path: string) {
      const res = await get(path);
      if (!res.ok) return fail(res);
      const body = (await res.json()) as T;
      const total = Number(res.headers.get("x-total-count") ?? (Array.isArray(body) ? body.length : 0));
      return { body, total };
    },
  };
}

/** `?a=1&b=2` from the defined values only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
