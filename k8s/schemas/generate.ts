// Generates the offline JSON schemas that kubeconform validates the chart's output against.
//
//   tsx k8s/schemas/generate.ts --k8s <dir of kubernetes-json-schema vX-local-strict> \
//       --crd <CustomResourceDefinition yaml> ... [--out k8s/schemas]
//
// Normally run through k8s/schemas/regenerate.sh, which fetches the pinned inputs. Every output file is
// self-contained (refs point into its own `$defs`), strict (objects reject unknown fields), and carries no
// descriptions, so each is small and kubeconform needs no network. File names follow kubeconform's
// `{{ .ResourceKind }}{{ .KindSuffix }}.json` convention: deployment-apps-v1.json, scaledobject-keda-v1alpha1.json.
import { readFileSync, writeFileSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

type Schema = { [key: string]: unknown };

/** Built-in kinds the chart renders (file stem in kubernetes-json-schema's naming). */
const BUILTIN_KINDS = [
  "configmap-v1",
  "daemonset-apps-v1",
  "deployment-apps-v1",
  "horizontalpodautoscaler-autoscaling-v2",
  "ingress-networking-v1",
  "job-batch-v1",
  "networkpolicy-networking-v1",
  "persistentvolumeclaim-v1",
  "poddisruptionbudget-policy-v1",
  "secret-v1",
  "service-v1",
  "serviceaccount-v1",
];

const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

function parseArgs(argv: string[]): { k8s: string; crds: string[]; out: string } {
  let k8s = "";
  const crds: string[] = [];
  let out = path.dirname(new URL(import.meta.url).pathname);
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === "--k8s") k8s = value;
    else if (flag === "--crd") crds.push(value);
    else if (flag === "--out") out = value;
    else throw new Error(`unknown flag ${flag}`);
    i++;
  }
  if (!k8s) throw new Error("--k8s <dir> is required");
  return { k8s, crds, out };
}

function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Keywords whose value is a map of name -> schema (names are data, never keywords). */
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]);
/** Keywords whose value is one schema or a list of schemas. */
const SCHEMA_VALUES = new Set([
  "items",
  "additionalProperties",
  "not",
  "if",
  "then",
  "else",
  "contains",
  "propertyNames",
  "unevaluatedProperties",
  "unevaluatedItems",
  "allOf",
  "anyOf",
  "oneOf",
  "prefixItems",
]);
/** Annotations and Kubernetes extensions that do not constrain validation. */
const DROPPED = (key: string): boolean =>
  key === "description" ||
  key === "default" ||
  key === "example" ||
  key === "x-kubernetes-group-version-kind" ||
  key === "x-kubernetes-list-type" ||
  key === "x-kubernetes-list-map-keys" ||
  key === "x-kubernetes-map-type" ||
  key === "x-kubernetes-validations" ||
  key === "x-kubernetes-patch-strategy" ||
  key === "x-kubernetes-patch-merge-key" ||
  key === "x-kubernetes-unions" ||
  key === "x-kubernetes-embedded-resource";

/** Copies a schema without annotations, applying `visit` to every sub-schema (after its children). */
function transform(schema: Schema, visit: (s: Schema) => Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED(key)) continue;
    if (SCHEMA_MAPS.has(key) && isSchema(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, isSchema(sub) ? transform(sub, visit) : sub]));
    } else if (SCHEMA_VALUES.has(key)) {
      out[key] = Array.isArray(value)
        ? value.map((sub) => (isSchema(sub) ? transform(sub, visit) : sub))
        : isSchema(value)
          ? transform(value, visit)
          : value;
    } else {
      out[key] = value;
    }
  }
  return visit(out);
}

/** Every `#/$defs/<name>` that `schema` reaches, following refs through `defs`. */
function closure(schema: Schema, defs: Record<string, Schema>): Set<string> {
  const seen = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (!isSchema(node)) return;
    const ref = node.$ref;
    if (typeof ref === "string") {
      const name = ref.replace(/^.*#\/\$defs\//, "");
      if (!seen.has(name)) {
        const def = defs[name];
        if (!def) throw new Error(`unresolved $ref ${ref}`);
        seen.add(name);
        walk(def);
      }
    }
    Object.values(node).forEach(walk);
  };
  walk(schema);
  return seen;
}

/** Points every ref at this document's own `$defs`. */
const localRefs = (s: Schema): Schema => (typeof s.$ref === "string" ? { ...s, $ref: s.$ref.replace(/^.*#\/\$defs\//, "#/$defs/") } : s);

function complete(root: Schema, defs: Record<string, Schema>): Schema {
  const body = transform(root, localRefs);
  delete body.$id;
  delete body.$schema;
  const needed = [...closure(body, defs)].sort();
  const own: Record<string, Schema> = {};
  for (const name of needed) own[name] = transform(defs[name] as Schema, localRefs);
  return { $schema: "https://json-schema.org/draft/2020-12/schema", ...body, ...(needed.length ? { $defs: own } : {}) };
}

/** OpenAPI v3 (structural CRD schema) -> strict JSON Schema 2020-12. */
function fromOpenApi(s: Schema): Schema {
  const out: Schema = { ...s };
  if (out.nullable === true && typeof out.type === "string") out.type = [out.type, "null"];
  delete out.nullable;
  const preserve = out["x-kubernetes-preserve-unknown-fields"] === true;
  delete out["x-kubernetes-preserve-unknown-fields"];
  delete out["x-kubernetes-int-or-string"];
  const isObject = out.type === "object" || (Array.isArray(out.type) && out.type.includes("object"));
  if (isObject && isSchema(out.properties) && out.additionalProperties === undefined && !preserve) {
    out.additionalProperties = false;
  }
  return out;
}

function kindFile(group: string, version: string, kind: string): string {
  const suffix = group ? `-${group.split(".")[0]!.toLowerCase()}-${version}` : `-${version}`;
  return `${kind.toLowerCase()}${suffix}.json`;
}

function crdSchemas(file: string, defs: Record<string, Schema>): Array<[string, Schema]> {
  const result: Array<[string, Schema]> = [];
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    const crd = doc.toJS() as {
      kind?: string;
      spec?: {
        group: string;
        names: { kind: string };
        versions: Array<{ name: string; served?: boolean; schema?: { openAPIV3Schema: Schema } }>;
      };
    };
    if (crd?.kind !== "CustomResourceDefinition" || !crd.spec) continue;
    const { group, names, versions } = crd.spec;
    for (const version of versions) {
      if (version.served === false || !version.schema) continue;
      const body = transform(version.schema.openAPIV3Schema, fromOpenApi);
      const properties = (body.properties ?? {}) as Record<string, Schema>;
      properties.apiVersion = { type: "string", enum: [`${group}/${version.name}`] };
      properties.kind = { type: "string", enum: [names.kind] };
      properties.metadata = { $ref: `#/$defs/${OBJECT_META}` };
      body.properties = properties;
      body.additionalProperties = false;
      body.required = [...new Set([...(Array.isArray(body.required) ? body.required : []), "apiVersion", "kind", "metadata"])];
      result.push([kindFile(group, version.name, names.kind), complete(body, defs)]);
    }
  }
  if (result.length === 0) throw new Error(`${file}: no CustomResourceDefinition found`);
  return result;
}

function main(): void {
  const { k8s, crds, out } = parseArgs(process.argv.slice(2));
  const defs = (JSON.parse(readFileSync(path.join(k8s, "_definitions.json"), "utf8")) as { $defs: Record<string, Schema> }).$defs;
  const outputs: Array<[string, Schema]> = [];
  for (const stem of BUILTIN_KINDS) {
    const root = JSON.parse(readFileSync(path.join(k8s, `${stem}.json`), "utf8")) as Schema;
    const body = complete(root, defs);
    // kubeconform validates documents, and a document always names its kind: require what the API server requires.
    body.required = [...new Set([...(Array.isArray(body.required) ? body.required : []), "apiVersion", "kind", "metadata"])];
    outputs.push([`${stem}.json`, body]);
  }
  for (const file of crds) outputs.push(...crdSchemas(file, defs));
  for (const stale of readdirSync(out).filter((f) => f.endsWith(".json"))) rmSync(path.join(out, stale));
  for (const [file, schema] of outputs) {
    writeFileSync(path.join(out, file), `${JSON.stringify(schema, null, 1)}\n`);
    console.log(`${file}`);
  }
}

main();
