import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_DIR, evaluate, loadRules, normaliseFacts } from '../../src/eligibility/index.js';
import { addMonths, isIsoDate, monthsBetween } from '../../src/eligibility/dates.js';

const rules = loadRules(DEFAULT_RULES_DIR);

describe('calendar arithmetic', () => {
  it('adds whole months and clamps to the end of a shorter month', () => {
    expect(addMonths('2025-06-01', 24)).toBe('2027-06-01');
    expect(addMonths('2025-01-31', 1)).toBe('2025-02-28');
    expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
    expect(addMonths('2025-12-15', 2)).toBe('2026-02-15');
    expect(addMonths('2026-03-01', -3)).toBe('2025-12-01');
  });

  it('counts a month once its day is reached', () => {
    expect(monthsBetween('2020-06-01', '2025-06-01')).toBe(60);
    expect(monthsBetween('2020-06-02', '2025-06-01')).toBe(59);
    expect(monthsBetween('2025-01-31', '2025-02-28')).toBe(1);
    expect(monthsBetween('2025-12-31', '2025-09-01')).toBe(-3);
  });

  it('knows real dates', () => {
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2025-02-29')).toBe(false);
    expect(isIsoDate('2025-6-1')).toBe(false);
  });
});

describe('evaluate', () => {
  it('refuses a date that is not YYYY-MM-DD', () => {
    expect(() => evaluate(rules, { series: 'engineering' }, '2025/06/01')).toThrow(/asOf/);
  });

  it('defaults the jurisdiction to Shanghai and derives years held from the date obtained', () => {
    const facts = normaliseFacts({ series: 'engineering', currentTitle: { level: 'intermediate', obtained: '2022-12-01' } }, '2025-06-01');
    expect(facts.jurisdiction).toBe('shanghai');
    expect(facts.currentTitle?.yearsHeld).toBe(2.5);
  });

  it('checks only the route asked for', () => {
    const result = evaluate(rules, { series: 'engineering', targetLevel: 'associate_senior', route: 'green_channel' }, '2025-06-01');
    expect(result.routes.map((v) => v.route)).toEqual(['green_channel']);
  });

  it('gives the same answer on the same input', () => {
    const facts = { series: 'engineering', targetLevel: 'intermediate', education: { degree: 'bachelor' }, yearsInSpecialty: 3 } as const;
    expect(JSON.stringify(evaluate(rules, facts, '2025-06-01'))).toBe(JSON.stringify(evaluate(rules, facts, '2025-06-01')));
  });

  it('answers the issue example: master, 2.5 years, permit -> eligible by sh-eng-int-2; bachelor, 3 years -> not yet, 2 years, 2027-06-01', () => {
    const eligible = evaluate(rules, { series: 'engineering', targetLevel: 'intermediate', education: { degree: 'master' }, yearsInSpecialty: 2.5, residence: { residencePermit: true } }, '2025-06-01');
    const regular = eligible.routes.find((v) => v.route === 'regular')!;
    expect(regular.status).toBe('eligible');
    expect(regular.citations[0]).toMatchObject({ ruleId: 'sh-eng-int-2', docId: 'eng-shanghai-intermediate.zh', confidence: 'B' });
    const notYet = evaluate(rules, { series: 'engineering', targetLevel: 'intermediate', education: { degree: 'bachelor' }, yearsInSpecialty: 3, residence: { residencePermit: true } }, '2025-06-01');
    const later = notYet.routes.find((v) => v.route === 'regular')!;
    expect(later).toMatchObject({ status: 'not_yet', yearsStillNeeded: 2, earliest: '2027-06-01' });
  });
});

describe('a route whose conditions are all met on a source not confirmed officially', () => {
  it('is the answer ("to be confirmed", its own next step), not "cannot apply" because the level above is closed', () => {
    const result = evaluate(rules, { series: 'accounting', education: { degree: 'bachelor' }, yearsInSpecialty: 5, currentTitle: { level: 'none' } }, '2026-06-01');
    expect(result.routes.find((v) => v.route === 'exam' && v.targetLevel === 'intermediate')).toMatchObject({ status: 'needs_info', missing: [] });
    expect(result.overall).toMatchObject({ status: 'needs_info', bestRoute: 'exam', bestLevel: 'intermediate', missing: [] });
    expect(result.overall.nextStep.en).not.toContain('cannot apply');
  });

  it('is no answer when the asker fails those conditions: a 大专 holder is not "to be confirmed" for the AI pilot (bachelor\'s or above)', () => {
    const facts = { series: 'engineering' as const, targetLevel: 'associate_senior' as const, education: { degree: 'junior_college' as const }, yearsInSpecialty: 12, currentTitle: { level: 'none' as const } };
    const result = evaluate(rules, facts, '2026-11-25');
    expect(result.routes.find((v) => v.route === 'recognition')).toMatchObject({ status: 'needs_info', indicativeStatus: 'not_eligible' });
    expect(result.overall.status).toBe('not_eligible');
    expect(result.overall.nextStep.zh).toContain('按已知条件目前无法申报');
  });
});

describe('a route open only for a credential nobody mentioned', () => {
  const noResidence = {
    series: 'engineering',
    targetLevel: 'intermediate',
    education: { degree: 'junior_college' },
    yearsInSpecialty: 8,
    residence: { hukou: false, residencePermit: false, socialInsuranceMonthsLast24: 10 },
  } as const;

  it('does not hold the verdict open: the regular route fails on residence, so the answer is not eligible, naming the overseas route to look into', () => {
    const result = evaluate(rules, noResidence, '2026-06-01');
    expect(result.routes.find((v) => v.route === 'overseas_qualification')?.status).toBe('needs_info');
    expect(result.overall.status).toBe('not_eligible');
    expect(result.overall.missing).toEqual([]);
    expect(result.overall.nextStep.zh).toContain('海外职业资格');
  });

  it('is asked about once the person brings the credential up', () => {
    const result = evaluate(rules, { ...noResidence, overseas: { listVersion: '3.0' } }, '2026-06-01');
    expect(result.overall).toMatchObject({ status: 'needs_info', bestRoute: 'overseas_qualification', missing: ['overseas.category'] });
  });

  it('leads with a route the person can act on: the accounting exam, not the overseas route', () => {
    const result = evaluate(rules, { series: 'accounting', targetLevel: 'intermediate', education: { degree: 'junior_college' }, yearsInSpecialty: 8 }, '2026-06-01');
    expect(result.routes.find((v) => v.route === 'overseas_qualification')?.status).toBe('needs_info');
    expect(result.overall).toMatchObject({ status: 'needs_info', bestRoute: 'exam' });
    expect(result.overall.missing).not.toContain('overseas.listVersion');
  });

  it('a route a credential merely opens besides a degree and years (the accounting exam) asks for the degree and years', () => {
    // acc-int-exam: 大专 + 5 years, …, or a passed intermediate exam in economics, statistics or auditing.
    const result = evaluate(rules, { series: 'accounting', targetLevel: 'intermediate' }, '2026-06-01');
    expect(result.overall).toMatchObject({ status: 'needs_info', bestRoute: 'exam', bestLevel: 'intermediate' });
    expect(result.overall.missing).toEqual(expect.arrayContaining(['education.degree', 'yearsInSpecialty']));
    expect(result.overall.missing).not.toContain('overseas.listVersion');
  });

  it('leaves out a route that also waits on an unmentioned credential, unless that route was asked about', () => {
    // Round 3 (2025) also wants the years of work, which this person did not give: still a route to look into.
    const facts = { ...noResidence, education: { degree: 'bachelor' }, yearsInSpecialty: undefined } as const;
    const overseas = evaluate(rules, facts, '2025-09-01').routes.find((v) => v.route === 'overseas_qualification')!;
    expect(overseas.missing).toContain('yearsInSpecialty');
    expect(evaluate(rules, facts, '2025-09-01').overall.status).toBe('not_eligible');
    const asked = evaluate(rules, { ...facts, route: 'overseas_qualification' }, '2025-09-01');
    expect(asked.overall.status).toBe('needs_info');
    expect(asked.overall.missing.some((p) => p.startsWith('overseas.'))).toBe(true);
  });

  it('with only untold special routes open, asks nothing and points to the notice and those routes', () => {
    const result = evaluate(rules, { series: 'economics', targetLevel: 'associate_senior', education: { degree: 'master' }, currentTitle: { level: 'intermediate', yearsHeld: 6 }, residence: { hukou: true } }, '2026-06-01');
    expect(result.overall.status).toBe('needs_info');
    expect(result.overall.missing).toEqual([]);
    expect(result.overall.bestRoute).toBeUndefined();
    expect(result.overall.nextStep.zh).toContain('绿色通道');
  });

  it('still leaves the verdict open when nothing else was judged', () => {
    const onlyOverseas = evaluate(rules, { ...noResidence, route: 'overseas_qualification' }, '2026-06-01');
    expect(onlyOverseas.overall.status).toBe('needs_info');
  });

  it('says what would open the route when only the residence scope fails, and not when its own conditions fail too', () => {
    const scopeOnly = evaluate(rules, noResidence, '2026-06-01');
    expect(scopeOnly.overall.nextStep.zh).toMatch(/上海市居住证.*12个月/);
    expect(scopeOnly.overall.nextStep.en).toMatch(/Residence Permit.*12 months/);
    expect(scopeOnly.overall.nextStep.zh).toContain('海外职业资格');
    const tooFewYears = evaluate(rules, { ...noResidence, yearsInSpecialty: 2 }, '2026-06-01');
    expect(tooFewYears.overall.status).toBe('not_eligible');
    expect(tooFewYears.overall.nextStep.zh).not.toContain('居住证');
  });

  it('explains a failed route by what rules it out first: the residence scope, then the rule nearest to being met', () => {
    const regular = evaluate(rules, noResidence, '2026-06-01').routes.find((v) => v.route === 'regular')!;
    expect(regular.status).toBe('not_eligible');
    expect(regular.reasons.zh[0]).toMatch(/^上海申报范围.*不符合/);
    expect(regular.reasons.zh[1]).toMatch(/大专.*——符合/);
    expect(regular.reasons.en[0]).toMatch(/not met/);
  });

  it('a route failed only on the residence shows the rule that is met, not the other degrees\' alternatives', () => {
    const facts = { ...noResidence, education: { degree: 'bachelor' }, yearsInSpecialty: 6 } as const;
    const regular = evaluate(rules, facts, '2026-06-01').routes.find((v) => v.route === 'regular')!;
    expect(regular.status).toBe('not_eligible');
    const ruleLines = regular.reasons.zh.filter((r) => r.startsWith('上海工程师评审'));
    expect(ruleLines).toHaveLength(1);
    expect(ruleLines[0]).toMatch(/（本科）.*——符合/);
  });

  it('while a route waits on the residence, of its rules all decided "not yet" shows only the soonest', () => {
    const result = evaluate(rules, { series: 'engineering', targetLevel: 'intermediate', education: { degree: 'bachelor' }, yearsInSpecialty: 3 }, '2026-06-01');
    const regular = result.routes.find((v) => v.route === 'regular')!;
    expect(regular.status).toBe('needs_info');
    const ruleLines = regular.reasons.zh.filter((r) => r.startsWith('上海工程师评审'));
    expect(ruleLines).toHaveLength(1);
    expect(ruleLines[0]).toMatch(/（本科）.*还差2年/);
  });

  it('among rules that all fail, puts first the one with the fewest conditions failed', () => {
    const noTitle = evaluate(rules, { series: 'engineering', targetLevel: 'associate_senior', education: { degree: 'bachelor', fieldRelated: true }, currentTitle: { level: 'none' }, yearsInSpecialty: 7, residence: { hukou: true } }, '2026-06-01');
    const regular = noTitle.routes.find((v) => v.route === 'regular')!;
    expect(regular.status).toBe('not_eligible');
    // The bachelor's rule fails on the title alone; the PhD and master's rules fail on the degree as well.
    expect(regular.reasons.zh[0]).toMatch(/^上海高级工程师评审（本科）.*你的现有职称：无/);
    expect(regular.reasons.zh[0]).not.toContain('你的学历');
  });
});
