import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { z } from 'zod';
import { FactsSchema, Status } from '../../src/eligibility/index.js';

/** Cases are data (test/eligibility/cases/*.yaml): facts, a date, and the expected answer per route. */
const CASES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'cases');

const perRoute = <T extends z.ZodType>(v: T) => z.record(z.string(), v).optional();
const CaseSchema = z.strictObject({
  name: z.string().min(1),
  asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  facts: FactsSchema,
  expect: z.strictObject({
    overall: Status,
    bestRoute: z.string().optional(),
    /** Every route in the answer, exactly. Keys: "route", or "route@level" when several levels are checked. */
    routes: perRoute(Status),
    /** Only these routes are checked. */
    someRoutes: perRoute(Status),
    missing: perRoute(z.array(z.string())),
    overallMissing: z.array(z.string()).optional(),
    ruleIds: perRoute(z.array(z.string())),
    ruleIdsExclude: perRoute(z.array(z.string())),
    earliest: perRoute(z.string()),
    yearsStillNeeded: perRoute(z.number()),
    indicative: perRoute(Status),
    excludedBy: z.array(z.string()).optional(),
    /** Substrings that must appear in a note (zh or en) of the route, or of the result for the key "result". */
    notesInclude: perRoute(z.array(z.string())),
  }),
});
const CaseFileSchema = z.strictObject({ description: z.string().optional(), cases: z.array(CaseSchema).min(1) });
export type EligibilityCase = z.infer<typeof CaseSchema>;

export function loadCases(): { file: string; c: EligibilityCase }[] {
  return fs
    .readdirSync(CASES_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((file) => {
      const parsed = CaseFileSchema.safeParse(YAML.parse(fs.readFileSync(path.join(CASES_DIR, file), 'utf8')));
      if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      return parsed.data.cases.map((c) => ({ file, c }));
    });
}

