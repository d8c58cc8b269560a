import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const block of createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })) hash.update(block as Buffer);
  return hash.digest("hex");
}
