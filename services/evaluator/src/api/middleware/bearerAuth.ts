// `Authorization: Bearer <API key>` on the /v1 routes; a missing or wrong key is a 401 problem+json naming the
// header, with the WWW-Authenticate challenge.
import type { MiddlewareHandler } from "hono";
import { problemResponse } from "../problem.js";
import type { AppEnv } from "../context.js";
import type { KeyCheck } from "./apiKeys.js";

export function bearerAuth(isValidKey: KeyCheck): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    if (!header) {
      return problemResponse(401, "the Authorization header is missing: send `Authorization: Bearer <API key>`", {
        errors: [{ path: "header.authorization", message: "missing" }],
        headers: { "www-authenticate": 'Bearer realm="evalstack"' },
        instance: c.req.path,
      });
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match || !isValidKey(match[1])) {
      return problemResponse(401, match ? "the API key is not valid" : "the Authorization header is not `Bearer <API key>`", {
        errors: [{ path: "header.authorization", message: match ? "unknown API key" : "not a bearer token" }],
        headers: { "www-authenticate": 'Bearer realm="evalstack", error="invalid_token"' },
        instance: c.req.path,
      });
    }
    return next();
  };
}
