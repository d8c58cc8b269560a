// The qwen model service: the catalog's "qwen" entry (models/catalog.yaml) served by @evalstack/model-server.
// Its ports, context, slots, sampling and weights are data in the catalog, not code here.
import { runModelService } from "@evalstack/model-server";

await runModelService({ name: "qwen" });
