import { describe, expect, it } from 'vitest';
import { evaluate, loadRules } from '../../src/eligibility/index.js';
import { RuleSchema, type Facts } from '../../src/eligibility/schema.js';
import { factsToAskFor, yearsAskedOfAsker } from '../../src/mentor/eligibility_reply.js';

const rules = loadRules();
const asked = (facts: Facts) => {
  const found = yearsAskedOfAsker(evaluate(rules, facts, '2026-11-26'), rules);
  return found && { rule: found.rule.id, years: found.conditions.years };
};

describe('the years a rule asks of someone like the asker', () => {
  it("takes the alternative the asker's degree meets with the fewest years", () => {
    // acc-int-exam: junior college 5, bachelor 4, second bachelor 2, master 1 (anyOf alternatives).
    expect(asked({ series: 'accounting', targetLevel: 'intermediate', education: { degree: 'junior_college' } })).toEqual({ rule: 'acc-int-exam', years: { min: 5, basis: 'in_specialty' } });
    expect(asked({ series: 'accounting', targetLevel: 'intermediate', education: { degree: 'master' } })).toEqual({ rule: 'acc-int-exam', years: { min: 1, basis: 'in_specialty' } });
  });

  it('reads the rule for the degree among one rule per degree', () => {
    expect(asked({ series: 'engineering', targetLevel: 'intermediate', education: { degree: 'bachelor' } })).toEqual({ rule: 'sh-eng-int-3', years: { min: 5, basis: 'in_specialty' } });
  });

  it('leaves out an alternative that what the asker said rules out', () => {
    // Senior Engineer with a master's: 5 years on the related-degree rules, 7 on the non-science bachelor's one.
    const related = asked({ series: 'engineering', targetLevel: 'associate_senior', education: { degree: 'master' } });
    expect(related?.years).toEqual({ min: 5, basis: 'since_previous_title' });
    const unrelated = asked({ series: 'engineering', targetLevel: 'associate_senior', education: { degree: 'bachelor', fieldRelated: false, relatedJuniorCollegeDiploma: true } });
    expect(unrelated).toEqual({ rule: 'sh-eng-asen-4', years: { min: 7, basis: 'since_previous_title' } });
  });

  it("keeps the conditions beside the alternatives, flags of both included", () => {
    const rule = RuleSchema.parse({
      id: 't-flags', title: { zh: '测试', en: 'test' }, series: ['engineering'], targetLevel: 'intermediate', route: 'regular', jurisdiction: 'shanghai',
      requires: { flags: ['education.fieldRelated'], anyOf: [{ degreeAtLeast: 'bachelor', years: { min: 5, basis: 'in_specialty' }, flags: ['education.relatedJuniorCollegeDiploma'] }] },
      effectiveFrom: null, source: { docId: 'x.zh', clause: 'c', date: 'n.d.' }, confidence: 'B',
    });
    const found = yearsAskedOfAsker(evaluate([rule], { series: 'engineering', targetLevel: 'intermediate', education: { degree: 'bachelor' } }, '2026-11-26'), [rule]);
    expect(found?.conditions.flags).toEqual(['education.fieldRelated', 'education.relatedJuniorCollegeDiploma']);
  });

  it('says nothing without a degree, since the years differ by degree', () => {
    expect(asked({ series: 'engineering', targetLevel: 'intermediate' })).toBeUndefined();
  });
});

describe('the facts asked next', () => {
  const facts: Facts = { series: 'engineering', targetLevel: 'senior', currentTitle: { level: 'associate_senior' }, specialRoute: { outstandingAchievements: true } };
  const result = evaluate(rules, facts, '2026-11-26');

  it("asks the regular route's facts, and no special route's the asker never brought up", () => {
    const ask = factsToAskFor(result, new Set(['series', 'targetLevel', 'currentTitle']));
    expect(ask.length).toBeGreaterThan(0);
    expect(ask.some((path) => path.startsWith('specialRoute.'))).toBe(false);
  });

  it('asks first what the route asked about still needs', () => {
    const ask = factsToAskFor(result, new Set(['series', 'targetLevel', 'currentTitle', 'specialRoute']), {}, new Set(), 'green_channel');
    expect(ask[0]).toBe('specialRoute.peerExpertRecommendation');
  });
});

describe('a verdict closed by an exclusion', () => {
  it('states the exclusion once, with what it does, and cites it', async () => {
    const { renderEligibilityReply } = await import('../../src/mentor/eligibility_reply.js');
    const facts: Facts = {
      series: 'engineering', targetLevel: 'intermediate', jurisdiction: 'shanghai', education: { degree: 'master' }, yearsInSpecialty: 3,
      residence: { shanghaiResidencePermit: true }, retirement: { retired: true, seniorExpertExtension: false },
    } as Facts;
    const result = evaluate(rules, facts, '2026-11-26');
    expect(result.overall.status).toBe('not_eligible');
    const cited: string[] = [];
    const reply = renderEligibilityReply(result, 'zh', rules, (id) => (cited.includes(id) ? cited.indexOf(id) : cited.push(id) - 1) + 1);
    const lines = reply.split('\n').filter((l) => l.includes('已退休或当年达到法定退休年龄'));
    expect(lines).toEqual(['• 已退休或当年达到法定退休年龄（例外：经批准延长退休的高级专家）——适用，所有途径暂不能申报。 [1]']);
    expect(cited[0]).toBe('sh-scope-excl-retired');
  });
});
