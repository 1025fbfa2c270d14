import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { INTENTS } from '../mentor/index.js';

export const KINDS = ['fact', 'pathway', 'eligibility', 'multi_turn', 'out_of_scope', 'adversarial'] as const;
export type Kind = (typeof KINDS)[number];
/** Retrieval-only lines (`{ id, lang, query, relevant }`) are reported under this kind. */
export const RETRIEVAL_KIND = 'retrieval';
export type CaseKind = Kind | typeof RETRIEVAL_KIND;

const Lang = z.enum(['zh', 'en']);
const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$/, 'must be 1-80 letters, digits, _ . : or -');
const Phrase = z.string().trim().min(1, 'must not be empty');

/** One answer case: a question, or a conversation whose last reply is checked. */
export const EvalCaseSchema = z
  .strictObject({
    id: Id,
    lang: Lang,
    kind: z.enum(KINDS),
    question: Phrase.optional(),
    turns: z.array(Phrase).min(1, 'needs at least one turn').optional(),
    /** Each entry is a key fact; "a|b" accepts either alternative (case-insensitive substring). */
    must_mention: z.array(Phrase).default([]),
    must_not: z.array(Phrase).default([]),
    intent: z.enum(INTENTS).optional(),
    /** Doc ids a good retrieval returns (a document and its translation count as one). */
    relevant: z.array(Phrase).optional(),
    eligibility: z.strictObject({ status: z.enum(['eligible', 'not_yet', 'needs_info', 'not_eligible']).optional() }).optional(),
    ask_back: z.boolean().optional(),
    note: z.string().optional(),
  })
  .refine((c) => (c.question === undefined) !== (c.turns === undefined), { message: 'needs exactly one of question or turns', path: ['question'] });

/** A retrieval-only case, as in eval/datasets/retrieval.jsonl. */
export const RetrievalCaseSchema = z.strictObject({
  id: Id,
  lang: Lang,
  query: Phrase,
  relevant: z.array(Phrase).min(1, 'needs at least one relevant doc id'),
  note: z.string().optional(),
});

export type EvalCaseLine = z.infer<typeof EvalCaseSchema>;
export type RetrievalCaseLine = z.infer<typeof RetrievalCaseSchema>;

interface Origin {
  /** Path as given (relative to the working directory when possible), for messages and reports. */
  file: string;
  line: number;
}

export type AnswerCase = EvalCaseLine & Origin & { type: 'answer'; messages: string[] };
export type RetrievalCase = RetrievalCaseLine & Origin & { type: 'retrieval'; kind: typeof RETRIEVAL_KIND };
export type EvalCase = AnswerCase | RetrievalCase;

export interface DatasetProblem extends Origin {
  message: string;
}

export class DatasetError extends Error {
  constructor(readonly problems: DatasetProblem[]) {
    super(`${problems.length} problem(s) in the evaluation datasets:\n${problems.map((p) => `  ${p.file}:${p.line}: ${p.message}`).join('\n')}`);
  }
}

/** Parse one JSONL text; every bad line becomes a problem naming the file and line. */
export function parseDataset(text: string, file: string): { cases: EvalCase[]; problems: DatasetProblem[] } {
  const cases: EvalCase[] = [];
  const problems: DatasetProblem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      problems.push({ file, line, message: `not valid JSON: ${(err as Error).message}` });
      return;
    }
    const isRetrieval = typeof value === 'object' && value !== null && 'query' in value;
    const parsed = isRetrieval ? RetrievalCaseSchema.safeParse(value) : EvalCaseSchema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push({ file, line, message: `${describePath(issue)}: ${issue.message}` });
      return;
    }
    if (isRetrieval) cases.push({ ...(parsed.data as RetrievalCaseLine), file, line, type: 'retrieval', kind: RETRIEVAL_KIND });
    else {
      const c = parsed.data as EvalCaseLine;
      cases.push({ ...c, file, line, type: 'answer', messages: c.turns ?? [c.question!] });
    }
  });
  return { cases, problems };
}

function describePath(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return issue.keys.join(', ');
  return issue.path.map(String).join('.') || '(line)';
}

/** The .jsonl files of a dataset path: the file itself, or every .jsonl directly in the folder, sorted. */
export function datasetFiles(datasetPath: string): string[] {
  if (!fs.existsSync(datasetPath)) throw new DatasetError([{ file: datasetPath, line: 0, message: 'no such file or folder' }]);
  if (fs.statSync(datasetPath).isFile()) return [datasetPath];
  return fs
    .readdirSync(datasetPath)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .map((f) => path.join(datasetPath, f));
}

/** Load and validate every case under a path; throws a DatasetError listing all problems at once. */
export function loadDatasets(datasetPath: string): EvalCase[] {
  const files = datasetFiles(datasetPath);
  if (files.length === 0) throw new DatasetError([{ file: datasetPath, line: 0, message: 'no .jsonl files' }]);
  const cases: EvalCase[] = [];
  const problems: DatasetProblem[] = [];
  for (const file of files) {
    const shown = displayPath(file);
    const result = parseDataset(fs.readFileSync(file, 'utf8'), shown);
    cases.push(...result.cases);
    problems.push(...result.problems);
  }
  const seen = new Map<string, EvalCase>();
  for (const c of cases) {
    const first = seen.get(c.id);
    if (first) problems.push({ file: c.file, line: c.line, message: `id ${c.id} is already used at ${first.file}:${first.line}` });
    else seen.set(c.id, c);
  }
  if (problems.length) throw new DatasetError(problems);
  return cases;
}

export interface CaseFilter {
  kind?: string;
  lang?: string;
  limit?: number;
}

export function filterCases(cases: EvalCase[], filter: CaseFilter): EvalCase[] {
  const picked = cases.filter((c) => (!filter.kind || c.kind === filter.kind) && (!filter.lang || c.lang === filter.lang));
  return filter.limit ? picked.slice(0, filter.limit) : picked;
}

function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** sha256 over the dataset files' names and contents. */
export function datasetHash(datasetPath: string): string {
  const hash = crypto.createHash('sha256');
  for (const file of datasetFiles(datasetPath)) hash.update(path.basename(file)).update('\0').update(fs.readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}
