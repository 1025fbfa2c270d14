import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { Flag, Route } from '../eligibility/schema.js';
import { PhraseMatcher } from './phrases.js';

export const LEVELS = ['junior', 'assistant', 'intermediate', 'associate_senior', 'senior'] as const;
export type Level = (typeof LEVELS)[number];
export const DEGREES = ['secondary_vocational', 'junior_college', 'bachelor', 'second_bachelor', 'master', 'phd'] as const;
export type Degree = (typeof DEGREES)[number];

const forms = z.array(z.union([z.string(), z.number()]).transform(String)).min(1);
const level = z.enum(LEVELS);

const LexiconFile = z.object({
  titles: z.array(z.object({ series: z.string(), level, forms })),
  levels: z.array(z.object({ level, forms })),
  series: z.array(z.object({ series: z.string(), forms })),
  degrees: z.array(z.object({ degree: z.enum(DEGREES), forms })),
  skills: z.array(z.object({ skill: z.string(), forms })),
  awards: z.array(z.object({ award: z.string(), forms })),
  /** What a question asks about a title or route (conditions, materials, dates): a follow-up on another replaces it. */
  aspects: z.array(z.object({ aspect: z.string(), forms })).default([]),
  /** Special routes a question names: a check then asks that route's facts. */
  routes: z.array(z.object({ route: Route, forms })).default([]),
  /** Statements meeting a special route's condition, by the fact path they set. */
  route_facts: z.array(z.object({ fact: Flag.refine((f) => f.startsWith('specialRoute.'), 'a special route\'s fact (specialRoute.…)'), forms })).default([]),
  /** Majors, by whether they are science or engineering (the engineering series' related field). */
  majors: z.array(z.object({ related: z.boolean(), forms })).default([]),
  /** Work several series share ("我是老师"): the series question to ask instead, and the answers that pick one. */
  shared_work: z.array(z.object({ question: z.string(), forms, answers: z.array(z.object({ series: z.string(), forms })).min(2) })).default([]),
});

/** Work several series share: saying it has the series asked as `question`; a bare answer then picks by `answers`. */
export interface SharedWork {
  question: string;
  said: PhraseMatcher<true>;
  answers: PhraseMatcher<string>;
}

/** The slot vocabulary from knowledge/slots.yaml, compiled into phrase matchers. */
export interface Lexicon {
  titles: PhraseMatcher<{ series: string; level: Level }>;
  levels: PhraseMatcher<Level>;
  series: PhraseMatcher<string>;
  degrees: PhraseMatcher<Degree>;
  skills: PhraseMatcher<string>;
  awards: PhraseMatcher<string>;
  aspects: PhraseMatcher<string>;
  routes: PhraseMatcher<Route>;
  routeFacts: PhraseMatcher<string>;
  majors: PhraseMatcher<boolean>;
  sharedWork: SharedWork[];
  /** Display names of titles by series and level, for replies. */
  titleNames: Map<string, string[]>;
  /** Words for each series, first Chinese then English. */
  seriesNames: Map<string, string[]>;
}

export function loadLexicon(file: string): Lexicon {
  const parsed = LexiconFile.safeParse(YAML.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const d = parsed.data;
  return {
    titles: new PhraseMatcher(d.titles.map((t) => ({ forms: t.forms, value: { series: t.series, level: t.level } }))),
    levels: new PhraseMatcher(d.levels.map((l) => ({ forms: l.forms, value: l.level }))),
    series: new PhraseMatcher(d.series.map((s) => ({ forms: s.forms, value: s.series }))),
    degrees: new PhraseMatcher(d.degrees.map((x) => ({ forms: x.forms, value: x.degree }))),
    skills: new PhraseMatcher(d.skills.map((x) => ({ forms: x.forms, value: x.skill }))),
    awards: new PhraseMatcher(d.awards.map((x) => ({ forms: x.forms, value: x.award }))),
    aspects: new PhraseMatcher(d.aspects.map((x) => ({ forms: x.forms, value: x.aspect }))),
    routes: new PhraseMatcher(d.routes.map((x) => ({ forms: x.forms, value: x.route }))),
    routeFacts: new PhraseMatcher(d.route_facts.map((x) => ({ forms: x.forms, value: x.fact }))),
    majors: new PhraseMatcher(d.majors.map((x) => ({ forms: x.forms, value: x.related }))),
    sharedWork: d.shared_work.map((w) => ({
      question: w.question,
      said: new PhraseMatcher([{ forms: w.forms, value: true as const }]),
      answers: new PhraseMatcher(w.answers.map((a) => ({ forms: a.forms, value: a.series }))),
    })),
    titleNames: new Map(d.titles.map((t) => [`${t.series}:${t.level}`, t.forms])),
    seriesNames: new Map(d.series.map((x) => [x.series, x.forms])),
  };
}
