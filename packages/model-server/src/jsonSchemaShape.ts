/**
 * Structural checks of a JSON Schema before it is compiled to a grammar. node-llama-cpp's compiler accepts
 * almost anything (an unknown `type` silently becomes "any JSON"), so a typo would constrain nothing; this
 * names the first misshapen keyword instead, with its path inside the schema.
 */
const TYPES = new Set(["string", "number", "integer", "boolean", "object", "array", "null"]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The first problem found, as "<path>: <what is wrong>", or undefined for a well-shaped schema. */
export function jsonSchemaProblem(schema: unknown, root: unknown = schema, path = "schema"): string | undefined {
  if (typeof schema === "boolean") return undefined;
  if (!isObject(schema)) return `${path}: expected a schema object, got ${JSON.stringify(schema)}`;
  const type = schema.type;
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    const unknown = types.find((t) => typeof t !== "string" || !TYPES.has(t));
    if (unknown !== undefined || types.length === 0) {
      return `${path}.type: unknown type ${JSON.stringify(unknown ?? type)} (expected ${[...TYPES].join(", ")})`;
    }
  }
  if (schema.enum !== undefined && !Array.isArray(schema.enum)) return `${path}.enum: expected an array`;
  if (schema.required !== undefined && !(Array.isArray(schema.required) && schema.required.every((r) => typeof r === "string"))) {
    return `${path}.required: expected an array of property names`;
  }
  if (schema.$ref !== undefined) {
    if (typeof schema.$ref !== "string" || !resolves(root, schema.$ref))
      return `${path}.$ref: ${JSON.stringify(schema.$ref)} does not resolve inside the schema`;
  }
  for (const keyword of ["properties", "$defs", "definitions"]) {
    const map = schema[keyword];
    if (map === undefined) continue;
    if (!isObject(map)) return `${path}.${keyword}: expected an object of schemas`;
    for (const [name, sub] of Object.entries(map)) {
      const problem = jsonSchemaProblem(sub, root, `${path}.${keyword}.${name}`);
      if (problem) return problem;
    }
  }
  for (const keyword of ["items", "additionalProperties", "not"]) {
    if (schema[keyword] === undefined) continue;
    const problem = jsonSchemaProblem(schema[keyword], root, `${path}.${keyword}`);
    if (problem) return problem;
  }
  for (const keyword of ["anyOf", "oneOf", "allOf", "prefixItems"]) {
    const list = schema[keyword];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length === 0) return `${path}.${keyword}: expected a non-empty array of schemas`;
    for (const [i, sub] of list.entries()) {
      const problem = jsonSchemaProblem(sub, root, `${path}.${keyword}[${i}]`);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** node-llama-cpp compiles only references into the schema's own `$defs` ("#/$defs/name"). */
function resolves(root: unknown, ref: string): boolean {
  if (!ref.startsWith("#/$defs/")) return false;
  let node: unknown = root;
  for (const part of ref.slice(2).split("/")) {
    const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObject(node) || !(key in node)) return false;
    node = node[key];
  }
  return true;
}
