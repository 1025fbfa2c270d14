import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { DocFrontMatterSchema, GlossaryEntrySchema, type CorpusDoc, type GlossaryEntry, type Problem } from './schema.js';

const FRONT_MATTER = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

export interface ParsedDoc {
  doc?: CorpusDoc;
  problems: Problem[];
  /** Where the body starts in the Markdown (it is the rest, trimmed), when there is a doc. */
  bodyStart?: number;
}

/** Parse one Markdown document with YAML front matter. Never throws: problems are values. */
export function parseDoc(markdown: string, file: string): ParsedDoc {
  const match = FRONT_MATTER.exec(markdown);
  if (!match) {
    return { problems: [{ file, field: 'front matter', message: 'missing: the file must start with a --- YAML block ---' }] };
  }
  let raw: unknown;
  try {
    raw = YAML.parse(match[1]);
  } catch (err) {
    return { problems: [{ file, field: 'front matter', message: `is not valid YAML: ${(err as Error).message.split('\n')[0]}` }] };
  }
  const parsed = DocFrontMatterSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map((i) => ({
        file,
        field: i.path.length ? i.path.join('.') : unknownKeysField(i),
        message: i.message,
      })),
    };
  }
  const body = markdown.slice(match[0].length).trim();
  const problems: Problem[] = [];
  if (body.length === 0) problems.push({ file, field: 'body', message: 'is empty' });
  return { doc: { ...parsed.data, body, file }, problems, bodyStart: match[0].length };
}

function unknownKeysField(issue: { code?: string; keys?: string[] }): string {
  return issue.code === 'unrecognized_keys' && issue.keys ? issue.keys.join(', ') : 'front matter';
}

export interface LoadedCorpus {
  docs: CorpusDoc[];
  glossary: GlossaryEntry[];
  /** The file each glossary entry came from (same order as `glossary`), for problem reports. */
  glossaryFiles?: string[];
  seriesIds: Set<string>;
  problems: Problem[];
}

/** Read knowledge/docs/*.md, knowledge/glossary/*.yaml and knowledge/series.json. */
export function loadCorpus(knowledgeDir: string): LoadedCorpus {
  const problems: Problem[] = [];
  const docs: CorpusDoc[] = [];
  const docsDir = path.join(knowledgeDir, 'docs');
  const files = fs.existsSync(docsDir) ? listFiles(docsDir, ['.md']) : [];
  if (files.length === 0) problems.push({ file: 'docs/', field: '-', message: 'no documents found' });
  for (const abs of files) {
    const rel = path.relative(knowledgeDir, abs);
    const { doc, problems: p } = parseDoc(fs.readFileSync(abs, 'utf8'), rel);
    problems.push(...p);
    if (doc) docs.push(doc);
  }
  const glossaryFiles: string[] = [];
  const glossary = loadGlossary(path.join(knowledgeDir, 'glossary'), knowledgeDir, problems, glossaryFiles);
  const seriesIds = loadSeriesIds(path.join(knowledgeDir, 'series.json'), problems);
  return { docs, glossary, glossaryFiles, seriesIds, problems };
}

function listFiles(dir: string, exts: string[]): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name), exts) : [path.join(dir, e.name)]))
    .filter((f) => exts.includes(path.extname(f)))
    .sort();
}

export function parseGlossary(text: string, file: string): { entries: GlossaryEntry[]; problems: Problem[] } {
  const problems: Problem[] = [];
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (err) {
    return { entries: [], problems: [{ file, field: '-', message: `is not valid YAML: ${(err as Error).message.split('\n')[0]}` }] };
  }
  if (!Array.isArray(raw)) return { entries: [], problems: [{ file, field: '-', message: 'must be a YAML list of entries' }] };
  const entries: GlossaryEntry[] = [];
  raw.forEach((item, i) => {
    const parsed = GlossaryEntrySchema.safeParse(item);
    const label = typeof item?.id === 'string' ? item.id : `#${i + 1}`;
    if (parsed.success) entries.push(parsed.data);
    else for (const issue of parsed.error.issues) problems.push({ file, field: `${label}.${issue.path.join('.') || '-'}`, message: issue.message });
  });
  return { entries, problems };
}

function loadGlossary(dir: string, knowledgeDir: string, problems: Problem[], files: string[]): GlossaryEntry[] {
  if (!fs.existsSync(dir)) return [];
  const entries: GlossaryEntry[] = [];
  for (const abs of listFiles(dir, ['.yaml', '.yml'])) {
    const file = path.relative(knowledgeDir, abs);
    const result = parseGlossary(fs.readFileSync(abs, 'utf8'), file);
    entries.push(...result.entries);
    files.push(...result.entries.map(() => file));
    problems.push(...result.problems);
  }
  return entries;
}

function loadSeriesIds(file: string, problems: Problem[]): Set<string> {
  if (!fs.existsSync(file)) return new Set();
  try {
    const list = JSON.parse(fs.readFileSync(file, 'utf8')) as Array<{ id: string }>;
    return new Set(list.map((s) => s.id));
  } catch (err) {
    problems.push({ file: 'series.json', field: '-', message: `is not valid JSON: ${(err as Error).message}` });
    return new Set();
  }
}
