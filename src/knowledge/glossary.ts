import type { GlossaryEntry, Problem } from './schema.js';
import { normalizeText, wordBoundaries } from './text.js';

export type TermKind = 'zh' | 'en' | 'abbreviation' | 'colloquial' | 'typo';

interface Form {
  text: string;
  conceptId: string;
  kind: TermKind;
  latin: boolean;
}

export interface ConceptMatch {
  conceptId: string;
  surface: string;
  kind: TermKind;
}

/** A code unit of [a-z0-9] (NaN, before or past the end, is not): match() tests every character of every chunk. */
const isLatinCode = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);

/** How many characters of an English plural ending ("s", "es") follow a Latin form at `at`: "overseas qualifications". */
function pluralEnding(s: string, at: number): number {
  if (s.charCodeAt(at) === 0x73 /* s */) return isLatinCode(s.charCodeAt(at + 1)) ? 0 : 1;
  if (s.startsWith('es', at) && !isLatinCode(s.charCodeAt(at + 2))) return 2;
  return 0;
}

/**
 * Finds glossary terms (with their abbreviations, colloquial forms and typos) in text, longest first,
 * so 高工, 高级工程师 and "senior engineer" all resolve to the same concept.
 */
export class Glossary {
  /** Forms by the code unit they start with. */
  private readonly byFirstChar = new Map<number, Form[]>();
  readonly entries: ReadonlyMap<string, GlossaryEntry>;

  constructor(entries: GlossaryEntry[]) {
    this.entries = new Map(entries.map((e) => [e.id, e]));
    for (const e of entries) {
      for (const [kind, list] of termLists(e)) {
        for (const term of list) {
          const text = normalizeText(term).trim();
          if (!text) continue;
          const form: Form = { text, conceptId: e.id, kind, latin: /^[a-z0-9]/.test(text) };
          const bucket = this.byFirstChar.get(text.charCodeAt(0)) ?? [];
          bucket.push(form);
          this.byFirstChar.set(text.charCodeAt(0), bucket);
        }
      }
    }
    for (const bucket of this.byFirstChar.values()) bucket.sort((a, b) => b.text.length - a.text.length);
  }

  /** Concepts mentioned in the text, left to right, each span matched once (longest form wins). */
  match(text: string): ConceptMatch[] {
    return this.matchNormalized(normalizeText(text));
  }

  /** match() of a text already passed through normalizeText (an index build has it at hand). */
  matchNormalized(s: string): ConceptMatch[] {
    const found: ConceptMatch[] = [];
    let boundaries: Set<number> | undefined;
    // Two-character Chinese forms (高工, 高会) must start a word: 提高工作 is not 高工.
    const onWordBoundary = (start: number, _end: number) => {
      boundaries ??= wordBoundaries(s);
      return boundaries.has(start);
    };
    let i = 0;
    while (i < s.length) {
      // Inside a Latin word nothing can start: a form beginning with a letter or digit is Latin and
      // must not follow one (skipping here is only quicker; index builds match every chunk).
      const here = s.charCodeAt(i);
      if (i > 0 && isLatinCode(here) && isLatinCode(s.charCodeAt(i - 1))) {
        i += 1;
        continue;
      }
      const bucket = this.byFirstChar.get(here);
      let end = 0;
      const form = bucket?.find((f) => {
        if (!s.startsWith(f.text, i)) return false;
        end = i + f.text.length;
        if (!f.latin) return f.text.length > 2 || onWordBoundary(i, end);
        if (isLatinCode(s.charCodeAt(i - 1))) return false;
        end += pluralEnding(s, end);
        return !isLatinCode(s.charCodeAt(end));
      });
      if (form) {
        found.push({ conceptId: form.conceptId, surface: s.slice(i, end), kind: form.kind });
        i = end;
      } else i += 1;
    }
    return found;
  }

  /** Canonical terms of a concept in both languages, used to expand queries. */
  canonical(conceptId: string): { zh: string; en: string } | undefined {
    const e = this.entries.get(conceptId);
    return e && { zh: e.zh[0], en: e.en[0] };
  }

  /** The concepts this one is made of (its `includes`). */
  parts(conceptId: string): readonly string[] {
    return this.entries.get(conceptId)?.includes ?? [];
  }

  /**
   * Concepts whose Chinese names contain one of this concept's (of three characters or more): the more
   * specific titles that share a name with it (工程师: 高级工程师, 正高级工程师, 助理工程师).
   */
  narrowerThan(conceptId: string): string[] {
    let known = this.narrower.get(conceptId);
    if (!known) {
      const names = (this.entries.get(conceptId)?.zh ?? []).filter((n) => n.length >= 3);
      known = [...this.entries.values()].filter((e) => e.id !== conceptId && e.zh.some((z) => names.some((n) => z !== n && z.includes(n)))).map((e) => e.id);
      this.narrower.set(conceptId, known);
    }
    return known;
  }
  private readonly narrower = new Map<string, string[]>();

  /**
   * The more specific forms of a title: narrower concepts whose English name ends with this one's
   * (Senior Engineer for Engineer), not every concept that shares a name (增设正高级 for 正高级).
   */
  specificFormsOf(conceptId: string): string[] {
    const en = this.entries.get(conceptId)?.en[0]?.toLowerCase();
    if (!en) return [];
    return this.narrowerThan(conceptId).filter((id) => {
      const other = this.entries.get(id)?.en[0]?.toLowerCase() ?? '';
      return other !== en && other.endsWith(` ${en}`);
    });
  }

  /** Every Chinese surface form, so the segmenter can keep them whole. */
  chineseTerms(): string[] {
    return [...this.entries.values()].flatMap((e) => [...termLists(e)].flatMap(([, l]) => l)).filter((t) => /[\u3400-\u9fff]/.test(t));
  }
}

function termLists(e: GlossaryEntry): Array<[TermKind, string[]]> {
  return [
    ['zh', e.zh],
    ['en', e.en],
    ['abbreviation', e.abbreviations],
    ['colloquial', e.colloquial],
    ['typo', e.typos],
  ];
}

/** Duplicate ids, and a surface form claimed by two concepts, are conflicts. */
export function checkGlossary(entries: GlossaryEntry[], file: string | ((entryIndex: number) => string) = 'glossary/'): Problem[] {
  const fileOf = typeof file === 'function' ? file : () => file;
  const problems: Problem[] = [];
  const ids = new Set<string>();
  const owner = new Map<string, string>();
  entries.forEach((e, entryIndex) => {
    const file = fileOf(entryIndex);
    if (ids.has(e.id)) problems.push({ file, field: `${e.id}.id`, message: `duplicate glossary id "${e.id}"` });
    ids.add(e.id);
    const seenHere = new Set<string>();
    for (const [kind, list] of termLists(e)) {
      for (const term of list) {
        const key = normalizeText(term).trim();
        if (seenHere.has(key)) continue;
        seenHere.add(key);
        const other = owner.get(key);
        if (other && other !== e.id) {
          problems.push({ file, field: `${e.id}.${kind}`, message: `"${term}" is also listed under "${other}": a term may belong to one concept only` });
        } else owner.set(key, e.id);
      }
    }
  });
  entries.forEach((e, entryIndex) => {
    for (const part of e.includes ?? []) {
      if (!ids.has(part)) problems.push({ file: fileOf(entryIndex), field: `${e.id}.includes`, message: `"${part}" is not a glossary id` });
    }
  });
  return problems;
}
