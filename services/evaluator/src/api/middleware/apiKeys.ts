// The one API-key check, shared by the API's bearer auth and the web UI's sign-in.
import { createHash, timingSafeEqual } from "node:crypto";
import type { EvaluatorConfig } from "../../config.js";

export type KeyCheck = (key: string | undefined) => boolean;

/** True when `key` is one of the configured API keys (constant time: equal-length digests, every key). */
export function createKeyCheck(auth: EvaluatorConfig["auth"]): KeyCheck {
  if (!auth.enabled) return () => true;
  const digests = auth.keys.map((k) => createHash("sha256").update(k).digest());
  return (key) => {
    if (!key) return false;
    const digest = createHash("sha256").update(key).digest();
    let ok = false;
    for (const d of digests) if (timingSafeEqual(d, digest)) ok = true;
    return ok;
  };
}
