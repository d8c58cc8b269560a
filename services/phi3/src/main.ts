// The phi3 model service: its defaults (ports, context size as in the seed) and nothing else;
// serving lives in @evalstack/model-server, configuration comes from the environment (see README).
import { runModelService } from "@evalstack/model-server";

await runModelService({ service: "phi3", grpcPort: 50052, metricsPort: 9465, contextSize: 4096 });
