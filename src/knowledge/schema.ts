import { z } from 'zod';

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD')
  // Date.parse rolls 2024-02-30 over to March 1st, so check the date survives a round trip.
  .refine((s) => {
    const t = Date.parse(`${s}T00:00:00Z`);
    return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
  }, 'is not a real calendar date');

/** A date from YAML may arrive as a Date when written unquoted by another tool; normalise it. */
const yamlDate = z.preprocess((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v), isoDate);

export const Lang = z.enum(['zh', 'en']);
export type Lang = z.infer<typeof Lang>;

export const Scope = z.enum(['titles', 'workplace', 'other']);
export type Scope = z.infer<typeof Scope>;

export const Confidence = z.enum(['A', 'B', 'C']);
export type Confidence = z.infer<typeof Confidence>;

export const DOC_ID_PATTERN = /^[a-z0-9][a-z0-9-]*(\.[a-z]{2})?$/;

/** Front matter of one corpus document. Unknown keys are errors so typos never pass silently. */
export const DocFrontMatterSchema = z
  .object({
    id: z.string().regex(DOC_ID_PATTERN, 'use lowercase letters, digits and hyphens, optionally ending in .zh or .en'),
    title: z.string().trim().min(1, 'is required'),
    lang: Lang,
    translation_of: z.string().optional(),
    series: z.array(z.string()).default([]),
    // Tags such as 12333 arrive from YAML as numbers; they are labels, so keep them as text.
    topics: z.array(z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string())).default([]),
    scope: Scope.default('titles'),
    source_url: z.url().optional(),
    source_title: z.string().optional(),
    source_date: z.preprocess((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v === null || v === undefined ? v : String(v)), z.string().optional()),
    confidence: Confidence.optional(),
    effective_from: yamlDate.optional(),
    effective_to: yamlDate.optional(),
  })
  .strict();

export type DocFrontMatter = z.infer<typeof DocFrontMatterSchema>;

export interface CorpusDoc extends DocFrontMatter {
  /** Markdown body without the front matter. */
  body: string;
  /** Path relative to the knowledge folder, for messages. */
  file: string;
}

const termList = z.array(z.string().trim().min(1)).default([]);

export const GlossaryEntrySchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lowercase letters, digits and hyphens'),
    zh: z.array(z.string().trim().min(1)).min(1, 'needs at least one Chinese term'),
    en: z.array(z.string().trim().min(1)).min(1, 'needs at least one English term'),
    abbreviations: termList,
    colloquial: termList,
    typos: termList,
    /** Ids of the concepts this one is made of (title-levels: each level), which answer a question about it. */
    includes: z.array(z.string()).default([]),
    note: z.string().optional(),
  })
  .strict();

export type GlossaryEntry = z.infer<typeof GlossaryEntrySchema>;

/** One problem found while validating the corpus: where it is and what is wrong. */
export interface Problem {
  file: string;
  field: string;
  message: string;
}
