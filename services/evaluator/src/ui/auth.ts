// The web UI's side of the API keys. A browser cannot put a bearer token on a page navigation, so signing in
// (POST /ui/session with the key) checks the key and puts it in a session cookie: HttpOnly, SameSite=Strict,
// Path=/, gone when the browser closes. Pages read it and call the API in process with it as the bearer
// token. The client script keeps its own copy in sessionStorage and sends it as `Authorization: Bearer` on
// every API call it makes (runs, the compare stream, event streams): the /v1 routes never accept the cookie,
// so a cross-site form cannot act with it. The key itself is checked by the API's one check
// (api/middleware/apiKeys.ts).
export const KEY_COOKIE = "evalstack_key";

/** Where to go after signing in: a path on this site only (never `//host` or a full URL). */
export function safeNext(next: unknown): string {
  if (typeof next !== "string" || !next.startsWith("/") || next.startsWith("//") || next.includes("\\")) return "/";
  if (next.startsWith("/ui/session")) return "/";
  return next.slice(0, 2_000);
}

/**
 * A form post from another site must not sign anyone in (or out): when the browser says where the form came
 * from (Origin, or Sec-Fetch-Site), it must be this site.
 */
export function sameOrigin(requestUrl: string, headers: { get(name: string): string | null | undefined }): boolean {
  const site = headers.get("sec-fetch-site");
  if (site) return site === "same-origin";
  const origin = headers.get("origin");
  if (!origin) return true; // not a browser form post (curl, a script): nothing to forge
  if (origin === "null") return false;
  const host = headers.get("x-forwarded-host") ?? headers.get("host");
  try {
    const o = new URL(origin);
    return host ? o.host === host : o.origin === new URL(requestUrl).origin;
  } catch {
    return false;
  }
}
