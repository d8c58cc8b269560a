// The one error that suite parsing and item validation throw: every problem found, each naming its field.

export interface ValidationIssue {
  /** Where the problem is, e.g. `items[3].checks[0].type`. */
  path: string;
  message: string;
}

export class SuiteValidationError extends Error {
  readonly issues: ValidationIssue[];

  constructor(issues: ValidationIssue[]) {
    const shown = issues.slice(0, 10).map((i) => `${i.path}: ${i.message}`);
    if (issues.length > 10) shown.push(`... and ${issues.length - 10} more`);
    super(issues.length === 0 ? "invalid suite" : shown.join("; "));
    this.name = "SuiteValidationError";
    this.issues = issues;
  }
}
