// A model service for any entry of models/catalog.yaml: MODEL_NAME picks the entry (the model image sets it
// from its MODEL build argument). Serving lives in @evalstack/model-server; see its README for the variables.
import { runModelService } from "@evalstack/model-server";

await runModelService();
