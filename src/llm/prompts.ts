import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';

const Bi = z.object({ zh: z.string().min(1), en: z.string().min(1) });
const BiList = z.object({ zh: z.array(z.string().min(1)).min(1), en: z.array(z.string().min(1)).min(1) });

const PersonaSchema = z.object({ name: Bi, avatar: z.string(), tone: Bi, disclaimer: Bi });

const TemplatesSchema = z.object({
  greeting: Bi,
  thanks: Bi,
  goodbye: Bi,
  help: Bi,
  identity: Bi,
  openings: BiList,
  closings: BiList,
  silent: Bi,
  hotline_pointer: Bi,
  confidence_note: Bi,
  other_language_note: Bi,
  other_scope_note: Bi,
  out_of_scope: Bi,
  refusal_injection: Bi,
  refusal_forgery: Bi,
  refusal_forgery_basis: Bi,
  refusal_abuse: Bi,
  pii_warning: Bi,
  ask_back_intro: Bi,
  years_required: Bi,
  gap_stated: Bi,
  gap_next_step: Bi,
  conditions_required: Bi,
  general_rule_first: Bi,
  check_offer: Bi,
  third_party_caveat: Bi,
  eligibility_intro: Bi,
  eligibility_outro: Bi,
  what_if_lead: Bi,
  more_months_lead: Bi,
  no_degree_query: Bi,
  procedure_query: Bi,
  scope_query: Bi,
  years_later_lead: Bi,
  noted_ack: Bi,
  correction_ack: Bi,
  target_ack: Bi,
  other_language_only: Bi,
  met_unconfirmed: Bi,
  unsure_ack: Bi,
  level_below: Bi,
  conditions_not_held: Bi,
  years_when: Bi,
  years_when_met: Bi,
  route_check_stands: Bi,
  certificate_not_named: Bi,
  corpus_on_level: Bi,
  corpus_on_series: Bi,
  fact_questions: z.record(z.string(), Bi).refine((r) => 'default' in r, 'needs a default question'),
  fact_names: z.record(z.string(), Bi),
  /** A fact asked only once another is known (the answer to the other decides whether it matters). */
  ask_after: z.record(z.string(), z.string()).default({}),
  suggestions: z.record(z.string(), BiList).refine((r) => 'default' in r, 'needs default suggestions'),
  cited_docs: z.object({ fraud: z.string(), hotline: z.string(), series: z.string() }),
});

export type Persona = z.infer<typeof PersonaSchema>;
export type Templates = z.infer<typeof TemplatesSchema>;
export type Lang = 'zh' | 'en';

export interface Prompts {
  persona: Persona;
  templates: Templates;
  /** The LLM system prompt with {name}, {tone} and {language} to fill. */
  system: string;
}

function parseFile<T>(schema: z.ZodType<T>, file: string): T {
  let raw: unknown;
  try {
    raw = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '-'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Persona, reply templates and the system prompt, validated at start so a broken file fails loudly. */
export function loadPrompts(dir: string): Prompts {
  return {
    persona: parseFile(PersonaSchema, path.join(dir, 'persona.yaml')),
    templates: parseFile(TemplatesSchema, path.join(dir, 'templates.yaml')),
    system: fs.readFileSync(path.join(dir, 'system.md'), 'utf8'),
  };
}

export class TemplateError extends Error {}

/** Fill {placeholders}; a placeholder without a value is a bug, never shown to a user. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, key: string) => {
    if (!(key in values)) throw new TemplateError(`template placeholder {${key}} has no value`);
    return String(values[key]);
  });
}

/** A stable choice among variants, so the same input always gets the same wording. */
export function pick<T>(list: T[], seed: string): T {
  let h = 0;
  for (let i = 0; i < seed.length; i++) h = (Math.imul(h, 31) + seed.charCodeAt(i)) >>> 0;
  return list[h % list.length];
}
