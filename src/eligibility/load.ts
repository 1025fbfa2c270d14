import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { REPO_ROOT } from '../repo_root.js';
import { RuleFileSchema, type ConditionSet, type Rule } from './schema.js';

/** knowledge/rules in the repository this module belongs to. */
export const DEFAULT_RULES_DIR = path.join(REPO_ROOT, 'knowledge', 'rules');

export interface Problem {
  file: string;
  field: string;
  message: string;
}

export class RulesError extends Error {
  readonly code = 'RULES_INVALID';
  constructor(readonly problems: Problem[]) {
    super(`${problems.length} problem(s) in the eligibility rules: ${problems.slice(0, 3).map((p) => `${p.file} ${p.field}: ${p.message}`).join('; ')}`);
    this.name = 'RulesError';
  }
}

const RULE_FILE = /\.(ya?ml|json)$/i;

interface ParsedFile {
  file: string;
  rules: Rule[];
  /** Path of each rule in the file, for messages. */
  at: string[];
}

/** A rule file's name and text: from the rules folder, or from the corpus store. */
export interface RuleText {
  file: string;
  text: string;
}

function readRuleFolder(dir: string, problems: Problem[]): RuleText[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => RULE_FILE.test(n)).sort();
  } catch (err) {
    problems.push({ file: dir, field: '(folder)', message: `cannot be read: ${(err as Error).message}` });
    return [];
  }
  if (names.length === 0) problems.push({ file: dir, field: '(folder)', message: 'holds no .yaml, .yml or .json rule file' });
  return names.map((file) => ({ file, text: fs.readFileSync(path.join(dir, file), 'utf8') }));
}

function parseRuleTexts(texts: RuleText[], problems: Problem[]): ParsedFile[] {
  const parsed: ParsedFile[] = [];
  for (const { file, text } of texts) {
    let raw: unknown;
    try {
      // Merge keys (<<: *anchor) let one file share a source or a note between rules.
      raw = /\.json$/i.test(file) ? JSON.parse(text) : YAML.parse(text, { merge: true });
    } catch (err) {
      problems.push({ file, field: '(file)', message: `is not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}` });
      continue;
    }
    const result = RuleFileSchema.safeParse(raw ?? {});
    if (!result.success) {
      problems.push(...result.error.issues.map((i) => ({ file, field: fieldOf(i, raw), message: i.message })));
      continue;
    }
    parsed.push({ file, rules: result.data.rules, at: result.data.rules.map((r, i) => `rules[${i}] (${r.id})`) });
  }
  return parsed;
}

/** "rules[3] (sh-eng-int-2).source.docId": the rule's id makes the place findable by a person. */
function fieldOf(issue: z.core.$ZodIssue, raw: unknown): string {
  const p = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') p.push(...issue.keys);
  if (p[0] === 'rules' && p.length > 1) {
    const id = (raw as { rules?: { id?: unknown }[] })?.rules?.[Number(p[1])]?.id;
    const head = `rules[${p[1]}]${typeof id === 'string' ? ` (${id})` : ''}`;
    return [head, ...p.slice(2)].join('.');
  }
  return p.length ? p.join('.') : '(file)';
}

function flagsUsed(c: ConditionSet | undefined): string[] {
  if (!c) return [];
  return [...(c.flags ?? []), ...(c.anyFlag ?? []), ...(c.notFlags ?? []), ...(c.anyOf ?? []).flatMap(flagsUsed)];
}

/** Read, validate and cross-check the folder once: the rules found and every problem with them. */
function inspect(dir: string, knownDocIds?: Set<string>): { rules: Rule[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const result = inspectRuleTexts(readRuleFolder(dir, problems), knownDocIds);
  return { rules: result.rules, problems: [...problems, ...result.problems] };
}

/** Validate rule files given as text (the corpus store keeps them so): the rules, and every problem. */
export function inspectRuleTexts(texts: RuleText[], knownDocIds?: Set<string>): { rules: Rule[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const files = parseRuleTexts(texts, problems);
  const seen = new Map<string, string>();
  const all = files.flatMap((f) => f.rules.map((rule, i) => ({ rule, file: f.file, at: f.at[i] })));
  const ids = new Set(all.map((r) => r.rule.id));
  for (const { rule, file, at } of all) {
    const first = seen.get(rule.id);
    if (first) problems.push({ file, field: `${at}.id`, message: `duplicate rule id "${rule.id}" (also in ${first})` });
    else seen.set(rule.id, file);
    if (knownDocIds && !knownDocIds.has(rule.source.docId)) {
      problems.push({ file, field: `${at}.source.docId`, message: `"${rule.source.docId}" is not a document in the corpus` });
    }
    for (const other of rule.conflictsWith) {
      if (!ids.has(other)) problems.push({ file, field: `${at}.conflictsWith`, message: `names "${other}", which is not a rule` });
    }
    if (rule.kind === 'exclusion' && flagsUsed(rule.excludedIf).length === 0) {
      problems.push({ file, field: `${at}.excludedIf`, message: 'an exclusion needs at least one flag that triggers it (flags or anyFlag)' });
    }
  }
  return { rules: all.map((r) => r.rule), problems };
}

/**
 * Every problem in the rules folder: schema (including unknown series ids), duplicate ids, conflictsWith pointing
 * nowhere, and `source.docId` not in the corpus when the corpus ids are given. A rule whose effectiveTo is past is
 * history, not an error: dated rules are kept, never overwritten.
 */
export function validateRules(dir: string, knownDocIds?: Set<string>): Problem[] {
  return inspect(dir, knownDocIds).problems;
}

/** Read and validate every rule file in `dir`; throws RulesError listing every problem. */
export function loadRules(dir: string = DEFAULT_RULES_DIR): Rule[] {
  const { rules, problems } = inspect(dir);
  if (problems.length) throw new RulesError(problems);
  return rules;
}
