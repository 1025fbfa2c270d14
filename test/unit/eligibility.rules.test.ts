import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RULES_DIR, RulesError, SERIES_IDS, SERIES_NAMES, evaluate, loadRules, validateRules } from '../../src/eligibility/index.js';

const KNOWLEDGE = path.resolve(DEFAULT_RULES_DIR, '..');
const tmpDirs: string[] = [];
function tempRules(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rules-'));
  tmpDirs.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}
afterEach(() => {
  while (tmpDirs.length) fs.rmSync(tmpDirs.pop()!, { recursive: true, force: true });
});

/** A valid rule in YAML; `extra` lines replace or add fields. */
function ruleYaml(id: string, extra: Record<string, string> = {}): string {
  const fields: Record<string, string> = {
    id,
    title: '{ zh: 测试规则, en: Test rule }',
    series: '[engineering]',
    targetLevel: 'intermediate',
    route: 'regular',
    jurisdiction: 'shanghai',
    requires: '{ degreeAtLeast: bachelor, years: { min: 5, basis: in_specialty } }',
    effectiveFrom: '2020-01-01',
    effectiveTo: 'null',
    source: '{ docId: eng-shanghai-intermediate.zh, clause: 测试条款, url: "https://example.org/x", date: n.d. }',
    confidence: 'B',
    ...extra,
  };
  return Object.entries(fields)
    .filter(([, v]) => v !== '')
    .map(([k, v], i) => `${i === 0 ? '  - ' : '    '}${k}: ${v}`)
    .join('\n');
}
const file = (...rules: string[]) => `family: test\nrules:\n${rules.join('\n')}\n`;

describe('the rules in knowledge/rules', () => {
  const rules = loadRules(DEFAULT_RULES_DIR);

  it('load, one file per family, with unique ids', () => {
    const files = fs.readdirSync(DEFAULT_RULES_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
    expect(files).toEqual(['exams.yaml', 'national-engineering.yaml', 'overseas-qualifications.yaml', 'publishing.yaml', 'residence-and-exclusions.yaml', 'shanghai-engineering.yaml', 'special-routes.yaml']);
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
    expect(rules.length).toBeGreaterThanOrEqual(50);
  });

  it('validate against the corpus: every source is a document in knowledge/docs', () => {
    const docIds = new Set(fs.readdirSync(path.join(KNOWLEDGE, 'docs')).filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3)));
    expect(validateRules(DEFAULT_RULES_DIR, docIds)).toEqual([]);
  });

  it('cite the Chinese document, a URL and a date for every rule', () => {
    for (const r of rules) {
      expect(r.source.docId, r.id).toMatch(/\.zh$/);
      expect(r.source.url, r.id).toMatch(/^https?:\/\//);
      expect(r.source.date.length, r.id).toBeGreaterThan(0);
    }
  });

  it('use the series ids of knowledge/series.json', () => {
    const series = JSON.parse(fs.readFileSync(path.join(KNOWLEDGE, 'series.json'), 'utf8')) as { id: string }[];
    expect([...SERIES_IDS].sort()).toEqual(series.map((s) => s.id).sort());
    expect(Object.keys(SERIES_NAMES).sort()).toEqual(series.map((s) => s.id).sort());
  });

  it('keep the low-confidence sources at confidence C, so they never decide alone', () => {
    const c = rules.filter((r) => r.confidence === 'C').map((r) => r.id).sort();
    expect(c).toEqual(['acc-int-exam', 'ce-hours', 'econ-int-exam', 'econ-jr-exam', 'fraud-ban', 'nat-eng-sen-1', 'sh-ai-recognition-assoc', 'sh-ai-recognition-senior', 'sh-weblit-jr'].sort());
  });

  it('leave out the Shenzhen-only rules', () => {
    expect(rules.filter((r) => r.id.startsWith('szba'))).toEqual([]);
    expect(fs.readFileSync(path.join(DEFAULT_RULES_DIR, 'special-routes.yaml'), 'utf8')).toMatch(/szba-phd-recog and szba-master-recog/);
  });

  it('give no numbers for routes whose sources have none', () => {
    for (const r of rules.filter((x) => ['green_channel', 'direct_train', 'recommendation', 'overpass'].includes(String(x.route)))) {
      expect(r.thresholds, r.id).toBe('from_current_notice');
      expect(JSON.stringify(r.requires ?? {}), r.id).not.toMatch(/"years"|"minMonths"/);
    }
  });

  it('have a README for staff', () => {
    const readme = fs.readFileSync(path.join(DEFAULT_RULES_DIR, 'README.md'), 'utf8');
    for (const word of ['effectiveFrom', 'effectiveTo', 'confidence', 'from_current_notice', 'kb validate']) expect(readme).toContain(word);
  });
});

describe('validateRules and loadRules report problems as values', () => {
  it('accepts a valid file, YAML or JSON', () => {
    const dir = tempRules({ 'a.yaml': file(ruleYaml('r-1')), 'b.json': JSON.stringify({ family: 'j', rules: [{ id: 'r-2', title: { zh: '甲', en: 'A' }, series: 'any', targetLevel: 'any', route: 'any', jurisdiction: 'national', kind: 'info', note: { zh: '注', en: 'n' }, effectiveFrom: null, source: { docId: 'x.zh', clause: 'c', date: 'n.d.' }, confidence: 'A' }] }) });
    expect(validateRules(dir)).toEqual([]);
    expect(loadRules(dir).map((r) => r.id)).toEqual(['r-1', 'r-2']);
  });

  it('names the file, the rule and the field of a schema error', () => {
    const dir = tempRules({ 'bad.yaml': file(ruleYaml('ok-1'), ruleYaml('bad-1', { targetLevel: 'medium', confidence: 'D' })) });
    const problems = validateRules(dir);
    expect(problems).toContainEqual(expect.objectContaining({ file: 'bad.yaml', field: 'rules[1] (bad-1).targetLevel' }));
    expect(problems).toContainEqual(expect.objectContaining({ file: 'bad.yaml', field: 'rules[1] (bad-1).confidence' }));
  });

  it('reports an unknown key (a typo) by name', () => {
    const dir = tempRules({ 'a.yaml': file(ruleYaml('r-1', { effectivFrom: '2020-01-01' })) });
    expect(validateRules(dir)).toContainEqual(expect.objectContaining({ field: 'rules[0] (r-1).effectivFrom' }));
  });

  it('reports a duplicate id across files', () => {
    const dir = tempRules({ 'a.yaml': file(ruleYaml('same')), 'b.yaml': file(ruleYaml('same')) });
    expect(validateRules(dir)).toContainEqual({ file: 'b.yaml', field: 'rules[0] (same).id', message: 'duplicate rule id "same" (also in a.yaml)' });
  });

  it('reports an unknown series id', () => {
    const dir = tempRules({ 'a.yaml': file(ruleYaml('r-1', { series: '[engineerin]' })) });
    expect(validateRules(dir)).toContainEqual(expect.objectContaining({ field: 'rules[0] (r-1).series.0', message: expect.stringContaining('unknown series id "engineerin"') }));
  });

  it('reports a source document missing from the corpus, only when the corpus ids are given', () => {
    const dir = tempRules({ 'a.yaml': file(ruleYaml('r-1')) });
    expect(validateRules(dir)).toEqual([]);
    expect(validateRules(dir, new Set(['other.zh']))).toContainEqual(expect.objectContaining({ field: 'rules[0] (r-1).source.docId' }));
  });

  it('reports effectiveTo before effectiveFrom', () => {
    const dir = tempRules({ 'a.yaml': file(ruleYaml('r-1', { effectiveTo: '2019-01-01' })) });
    const fields = validateRules(dir).map((p) => p.field);
    expect(fields).toContain('rules[0] (r-1).effectiveTo');
  });

  it('reports a conflictsWith that names no rule', () => {
    const dir = tempRules({ 'a.yaml': file(ruleYaml('r-1', { conflictsWith: '[nowhere]' })) });
    expect(validateRules(dir)).toContainEqual(expect.objectContaining({ field: 'rules[0] (r-1).conflictsWith', message: 'names "nowhere", which is not a rule' }));
  });

  it('does not report a rule whose effectiveTo is in the past: history is kept', () => {
    const dir = tempRules({ 'a.yaml': file(ruleYaml('old', { effectiveTo: '2021-12-31' }), ruleYaml('new', { effectiveFrom: '2022-01-01' })) });
    expect(validateRules(dir)).toEqual([]);
  });

  it('reports invalid YAML, an empty folder and a missing folder', () => {
    expect(validateRules(tempRules({ 'a.yaml': 'family: x\nrules: [ {' }))).toContainEqual(expect.objectContaining({ file: 'a.yaml', field: '(file)' }));
    expect(validateRules(tempRules({ 'notes.txt': 'x' }))[0].message).toMatch(/no .yaml/);
    expect(validateRules(path.join(os.tmpdir(), 'no-such-rules-dir'))[0].message).toMatch(/cannot be read/);
  });

  it('asks an eligibility rule for its conditions unless the notice sets them, and an exclusion for its trigger', () => {
    const dir = tempRules({ 'a.yaml': file(ruleYaml('r-1', { requires: '' }), ruleYaml('r-2', { kind: 'exclusion', requires: '' })) });
    const fields = validateRules(dir).map((p) => p.field);
    expect(fields).toContain('rules[0] (r-1).requires');
    expect(fields).toContain('rules[1] (r-2).excludedIf');
  });

  it('loadRules throws a RulesError carrying every problem', () => {
    const dir = tempRules({ 'a.yaml': file(ruleYaml('same')), 'b.yaml': file(ruleYaml('same', { route: 'fast_track' })) });
    try {
      loadRules(dir);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(RulesError);
      expect((err as RulesError).problems.length).toBeGreaterThanOrEqual(1);
      expect((err as RulesError).message).toMatch(/b\.yaml/);
    }
  });
});

describe('a dated change: a new rule with effectiveFrom, the old one closed with effectiveTo', () => {
  const dir = tempRules({
    'a.yaml': file(
      ruleYaml('years-2020', { effectiveFrom: '2020-01-01', effectiveTo: '2025-12-31', requires: '{ degreeAtLeast: bachelor, years: { min: 5, basis: in_specialty } }' }),
      ruleYaml('years-2026', { effectiveFrom: '2026-01-01', requires: '{ degreeAtLeast: bachelor, years: { min: 4, basis: in_specialty } }' }),
    ),
  });
  const rules = loadRules(dir);
  const facts = { series: 'engineering', targetLevel: 'intermediate', route: 'regular', education: { degree: 'bachelor' }, yearsInSpecialty: 4 } as const;

  it('answers a question about 2025 with the 2025 rule', () => {
    const r = evaluate(rules, facts, '2025-12-31');
    expect(r.routes[0].status).toBe('not_yet');
    expect(r.routes[0].ruleIds).toEqual(['years-2020']);
  });

  it('answers a question about 2026 with the 2026 rule', () => {
    const r = evaluate(rules, facts, '2026-01-01');
    expect(r.routes[0].status).toBe('eligible');
    expect(r.routes[0].ruleIds).toEqual(['years-2026']);
  });
});
