import { normalizeText, wordBoundaries } from '../knowledge/index.js';

export interface PhraseHit<T> {
  value: T;
  surface: string;
  start: number;
  end: number;
}

const isLatin = (c: string | undefined) => c !== undefined && /[a-z0-9]/.test(c);

/** Longest-first phrase lookup over normalised text; English phrases must sit on word boundaries. */
export class PhraseMatcher<T> {
  private readonly byFirst = new Map<string, Array<{ text: string; value: T; latin: boolean }>>();

  constructor(entries: Array<{ forms: string[]; value: T }>) {
    for (const e of entries) {
      for (const form of e.forms) {
        const text = normalizeText(String(form)).trim();
        if (!text) continue;
        const list = this.byFirst.get(text[0]) ?? [];
        list.push({ text, value: e.value, latin: /^[a-z0-9]/.test(text) });
        this.byFirst.set(text[0], list);
      }
    }
    for (const list of this.byFirst.values()) list.sort((a, b) => b.text.length - a.text.length);
  }

  /** Hits in order; positions refer to the normalised text (see normalizeText). */
  find(text: string): PhraseHit<T>[] {
    const s = normalizeText(text);
    const hits: PhraseHit<T>[] = [];
    let boundaries: Set<number> | undefined;
    // A two-character Chinese phrase must start a word: 提高工作 holds no 高工, but 硕士毕业 holds 硕士.
    const whole = (start: number, _end: number) => (boundaries ??= wordBoundaries(s)).has(start);
    let i = 0;
    while (i < s.length) {
      const m = this.byFirst.get(s[i])?.find(
        (f) => s.startsWith(f.text, i) && (f.latin ? !isLatin(s[i - 1]) && !isLatin(s[i + f.text.length]) : f.text.length > 2 || whole(i, i + f.text.length)),
      );
      if (m) {
        hits.push({ value: m.value, surface: m.text, start: i, end: i + m.text.length });
        i += m.text.length;
      } else i += 1;
    }
    return hits;
  }
}
