import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_DIR, evaluate, explainEligibility, loadRules, type EligibilityResult } from '../../src/eligibility/index.js';
import { durationEn, durationZh } from '../../src/eligibility/conditions.js';
import { loadCases } from '../eligibility/cases.js';

const rules = loadRules(DEFAULT_RULES_DIR);
const cases = loadCases();
const numbers = (text: string) => new Set((text.match(/\d+(?:\.\d+)?/g) ?? []).map((n) => String(Number(n))));

/**
 * Every number a reason or explanation may use: from the rules, the facts, the dates the engine computed, and
 * a rule's years threshold less the years given ("2 more years").
 */
function allowedNumbers(result: EligibilityResult): Set<string> {
  const from = [JSON.stringify(rules), JSON.stringify(result.facts), result.asOf, ...result.routes.flatMap((v) => [v.earliest ?? '', String(v.yearsStillNeeded ?? '')])];
  const allowed = new Set(from.flatMap((t) => [...numbers(t)]));
  const given = [result.facts.yearsInSpecialty, result.facts.currentTitle?.yearsHeld].filter((y): y is number => y !== undefined);
  for (const min of numbers(JSON.stringify(rules.map((r) => r.requires)))) for (const y of given) allowed.add(String(Math.round((Number(min) - y) * 100) / 100));
  return allowed;
}

describe('explanations render in both languages for every case', () => {
  for (const { file, c } of cases) {
    it(`${file}: ${c.name}`, () => {
      const result = evaluate(rules, c.facts, c.asOf);
      const allowed = allowedNumbers(result);
      for (const lang of ['zh', 'en'] as const) {
        const text = explainEligibility(result, lang);
        expect(text.trim().length).toBeGreaterThan(0);
        // No template placeholder left unfilled, no value that failed to render.
        expect(text).not.toMatch(/\{[^}]*\}|\$\{|undefined|NaN|null|\[object/);
        // A phone screen: a few dozen short lines at most.
        expect(text.split('\n').length).toBeLessThanOrEqual(24);
        // Every number comes from the rules, the facts or the computed dates.
        for (const n of numbers(text)) expect(allowed, `${lang}: "${n}" in\n${text}`).toContain(n);
        if (lang === 'zh') expect(text).toMatch(/[\u4e00-\u9fff]/);
        expect(text).toContain(result.asOf);
        const best = result.routes.find((v) => v.route === result.overall.bestRoute && v.targetLevel === result.overall.bestLevel);
        if (best) expect(text).toContain(best.citations[0].ruleId);
        for (const v of result.routes.filter((r) => r.earliest)) expect(text).toContain(v.earliest!);
      }
      for (const v of result.routes) {
        expect(v.reasons.zh.length).toBe(v.reasons.en.length);
        for (const line of [...v.reasons.zh, ...v.reasons.en, ...v.notes.flatMap((n) => [n.zh, n.en]), v.nextStep.zh, v.nextStep.en]) {
          expect(line).not.toMatch(/\{[^}]*\}|\$\{|undefined|NaN|null|\[object/);
          for (const n of numbers(line)) expect(allowed, `"${n}" in "${line}"`).toContain(n);
        }
      }
    });
  }

  it('shows the issue example with its rule clause and the national conflict', () => {
    const result = evaluate(rules, { series: 'engineering', targetLevel: 'intermediate', education: { degree: 'master' }, yearsInSpecialty: 2.5, residence: { residencePermit: true } }, '2025-06-01');
    const zh = explainEligibility(result, 'zh');
    const en = explainEligibility(result, 'en');
    expect(zh).toContain('可以申报');
    expect(zh).toContain('sh-eng-int-2');
    expect(zh).toContain('研究生学历，从事本专业技术工作满2年');
    expect(en).toContain('eligible');
    expect(en).toContain('you have 2 years 6 months');
    expect(en).toContain('nat-eng-int-2');
  });

  it('gives the years still needed and the date for a not-yet answer', () => {
    const result = evaluate(rules, { series: 'engineering', targetLevel: 'intermediate', education: { degree: 'bachelor' }, yearsInSpecialty: 3, residence: { residencePermit: true } }, '2025-06-01');
    expect(explainEligibility(result, 'zh')).toContain('还需2年，最早2027-06-01');
    expect(explainEligibility(result, 'en')).toContain('2 years more, from 2027-06-01');
  });

  it('says the asker\'s years as years and months, not as a decimal', () => {
    expect([6.83, 2.5, 5, 0.9, 1, 1 / 12, 11.99].map(durationZh)).toEqual(['6年10个月', '2年6个月', '5年', '11个月', '1年', '1个月', '12年']);
    expect([6.83, 2.5, 5, 0.9, 1, 1 / 12].map(durationEn)).toEqual(['6 years 10 months', '2 years 6 months', '5 years', '11 months', '1 year', '1 month']);
  });

  it('says what to tell when facts are missing', () => {
    const result = evaluate(rules, { series: 'engineering', targetLevel: 'intermediate', route: 'regular' }, '2025-06-01');
    expect(explainEligibility(result, 'zh')).toContain('请补充：最高学历、从事本专业工作的年限、上海户籍、居住证或社保情况');
    expect(explainEligibility(result, 'en')).toContain('Please tell us your highest degree');
  });
});
