import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_DIR, evaluate, loadRules, type EligibilityResult, type RouteVerdict } from '../../src/eligibility/index.js';
import { loadCases } from '../eligibility/cases.js';

/** Route verdicts by "route" (one level checked) and always by "route@level". */
function byKey(result: EligibilityResult): Map<string, RouteVerdict> {
  const levels = new Set(result.routes.map((r) => r.targetLevel));
  const map = new Map<string, RouteVerdict>();
  for (const v of result.routes) {
    map.set(`${v.route}@${v.targetLevel}`, v);
    if (levels.size === 1) map.set(v.route, v);
  }
  return map;
}

const sorted = (xs: string[]) => [...xs].sort();

const rules = loadRules(DEFAULT_RULES_DIR);
const cases = loadCases();

describe('eligibility cases (test/eligibility/cases)', () => {
  it('has at least 80 cases with unique names', () => {
    expect(cases.length).toBeGreaterThanOrEqual(80);
    const names = cases.map((x) => x.c.name);
    expect(new Set(names).size).toBe(names.length);
  });

  for (const { file, c } of cases) {
    it(`${file}: ${c.name}`, () => {
      const result = evaluate(rules, c.facts, c.asOf);
      const routes = byKey(result);
      const want = c.expect;
      const verdict = (key: string) => {
        const v = routes.get(key);
        if (!v) throw new Error(`no verdict for "${key}"; the answer has: ${[...routes.keys()].join(', ') || '(none)'}`);
        return v;
      };
      expect(result.overall.status, 'overall status').toBe(want.overall);
      if (want.bestRoute !== undefined) expect(result.overall.bestRoute, 'best route').toBe(want.bestRoute);
      if (want.routes) {
        const levels = new Set(result.routes.map((r) => r.targetLevel));
        const got = Object.fromEntries(result.routes.map((v) => [levels.size === 1 ? v.route : `${v.route}@${v.targetLevel}`, v.status]));
        expect(got, 'routes (exact)').toEqual(want.routes);
      }
      for (const [key, status] of Object.entries(want.someRoutes ?? {})) expect(verdict(key).status, `status of ${key}`).toBe(status);
      for (const [key, missing] of Object.entries(want.missing ?? {})) expect(sorted(verdict(key).missing), `missing for ${key}`).toEqual(sorted(missing));
      if (want.overallMissing) expect(sorted(result.overall.missing), 'overall missing').toEqual(sorted(want.overallMissing));
      for (const [key, ids] of Object.entries(want.ruleIds ?? {})) expect(verdict(key).ruleIds, `rule ids of ${key}`).toEqual(expect.arrayContaining(ids));
      for (const [key, ids] of Object.entries(want.ruleIdsExclude ?? {})) for (const id of ids) expect(verdict(key).ruleIds, `rule ids of ${key}`).not.toContain(id);
      for (const [key, date] of Object.entries(want.earliest ?? {})) expect(verdict(key).earliest, `earliest for ${key}`).toBe(date);
      for (const [key, years] of Object.entries(want.yearsStillNeeded ?? {})) expect(verdict(key).yearsStillNeeded, `years still needed for ${key}`).toBe(years);
      for (const [key, status] of Object.entries(want.indicative ?? {})) expect(verdict(key).indicativeStatus, `indicative status of ${key}`).toBe(status);
      if (want.excludedBy) expect(sorted((result.excludedBy ?? []).map((e) => e.ruleId)), 'excluded by').toEqual(sorted(want.excludedBy));
      for (const [key, needles] of Object.entries(want.notesInclude ?? {})) {
        const notes = (key === 'result' ? result.notes : verdict(key).notes).flatMap((n) => [n.zh, n.en]).join('\n');
        for (const needle of needles) expect(notes, `notes of ${key}`).toContain(needle);
      }
      // Invariants every answer keeps.
      for (const v of result.routes) {
        if (v.status === 'eligible') expect(v.citations.length).toBeGreaterThan(0);
        if (v.status === 'not_yet') expect(v.earliest! > c.asOf).toBe(true);
        if (v.status !== 'needs_info' && v.indicativeStatus === undefined) expect(v.missing, `${v.route}: a decided verdict misses nothing`).toEqual([]);
      }
    });
  }

  it('covers every rule in knowledge/rules: each is cited by at least one case', () => {
    const cited = new Set<string>();
    for (const { c } of cases) {
      const result = evaluate(rules, c.facts, c.asOf);
      for (const v of result.routes) v.ruleIds.forEach((id) => cited.add(id));
      for (const e of result.excludedBy ?? []) cited.add(e.ruleId);
    }
    expect(rules.map((r) => r.id).filter((id) => !cited.has(id))).toEqual([]);
  });
});
