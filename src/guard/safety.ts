import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';

export type UnsafeKind = 'prompt_injection' | 'forgery' | 'abuse';

const PatternFile = z.object({
  prompt_injection: z.array(z.string()).min(1),
  forgery: z.array(z.string()).min(1),
  abuse: z.array(z.string()).min(1),
  forgery_questions: z.array(z.string()).default([]),
  help_seeking: z.array(z.string()).default([]),
});

const ScopeFile = z.object({
  out_of_scope_hints: z.array(z.string()).min(1),
  domain_hints: z.array(z.string()).min(1),
});

export interface SafetyRules {
  unsafe: Array<{ kind: UnsafeKind; re: RegExp }>;
  /** Asking what happens to forgery (consequences, penalties) rather than for it. */
  forgeryQuestions: RegExp[];
  /** Asking for help or a source: turns a question about forgery back into a request. */
  helpSeeking: RegExp[];
  outOfScope: RegExp[];
  domain: RegExp[];
}

function compile(source: string, file: string): RegExp {
  try {
    return new RegExp(source, 'iu');
  } catch (err) {
    throw new Error(`${file}: invalid pattern /${source}/: ${(err as Error).message}`);
  }
}

/** Load prompts/safety.yaml and prompts/scope.yaml; a bad file stops start-up with a clear message. */
export function loadSafetyRules(promptsDir: string): SafetyRules {
  const safetyFile = path.join(promptsDir, 'safety.yaml');
  const scopeFile = path.join(promptsDir, 'scope.yaml');
  const patterns = PatternFile.parse(YAML.parse(fs.readFileSync(safetyFile, 'utf8')));
  const scope = ScopeFile.parse(YAML.parse(fs.readFileSync(scopeFile, 'utf8')));
  const kinds: UnsafeKind[] = ['forgery', 'prompt_injection', 'abuse'];
  return {
    unsafe: kinds.flatMap((kind) => patterns[kind].map((p) => ({ kind, re: compile(p, safetyFile) }))),
    forgeryQuestions: patterns.forgery_questions.map((p) => compile(p, safetyFile)),
    helpSeeking: patterns.help_seeking.map((p) => compile(p, safetyFile)),
    outOfScope: scope.out_of_scope_hints.map((p) => compile(p, scopeFile)),
    domain: scope.domain_hints.map((p) => compile(p, scopeFile)),
  };
}

/**
 * The first unsafe kind the message matches (forgery before injection before abuse), if any. A message
 * that names forgery only to ask what follows from it ("造假有什么后果？") is a policy question.
 */
export function classifyUnsafe(rules: SafetyRules, text: string): UnsafeKind | undefined {
  const normalized = text.normalize('NFKC');
  const asksAboutForgery = rules.forgeryQuestions.some((re) => re.test(normalized)) && !rules.helpSeeking.some((re) => re.test(normalized));
  return rules.unsafe.find((p) => !(p.kind === 'forgery' && asksAboutForgery) && p.re.test(normalized))?.kind;
}

export const looksOutOfScope = (rules: SafetyRules, text: string) => rules.outOfScope.some((re) => re.test(text.normalize('NFKC')));
export const mentionsDomain = (rules: SafetyRules, text: string) => rules.domain.some((re) => re.test(text.normalize('NFKC')));
