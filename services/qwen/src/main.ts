// The qwen model service: its defaults (ports, context size as in the seed) and nothing else;
// serving lives in @evalstack/model-server, configuration comes from the environment (see README).
import { runModelService } from "@evalstack/model-server";

await runModelService({ service: "qwen", grpcPort: 50051, metricsPort: 9464, contextSize: 8192 });
