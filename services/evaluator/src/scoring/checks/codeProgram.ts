// How the `code` check assembles the program it runs from the reply's code, the way the HumanEval harness
// does: with a `prefix` (the problem's prompt: imports, helpers, the signature and docstring), a reply that
// completes the prompt is appended to it; a reply that defines `entry_point` itself is run after the prefix,
// so its definition replaces the prompt's stub while the prompt's imports and helpers stay in scope.

export interface CodeProgramSpec {
  prefix?: string;
  entry_point?: string;
}

export type CodeMode = "as is" | "completing the prefix" | `defining ${string}`;

/** Does `code` define `name` at top level (def or async def, column 0)? */
export function definesFunction(code: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^(?:async[ \\t]+)?def[ \\t]+${escaped}[ \\t]*\\(`, "m").test(code);
}

export function assembleProgram(spec: CodeProgramSpec, code: string): { program: string; mode: CodeMode } {
  if (spec.prefix === undefined) return { program: code, mode: "as is" };
  if (spec.entry_point !== undefined && definesFunction(code, spec.entry_point)) {
    return { program: `${spec.prefix}\n\n${code}`, mode: `defining ${spec.entry_point}` };
  }
  // Exactly the reference harness's concatenation: prompt + completion.
  return { program: `${spec.prefix}${code}`, mode: "completing the prefix" };
}

export const PYTHON_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
