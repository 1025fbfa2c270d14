import type { Lexicon } from './lexicon.js';

/** The series a text names, by a title of theirs or by name. */
export function seriesNamed(text: string, lex: Lexicon): string[] {
  return [...new Set([...lex.titles.find(text).map((h) => h.value.series as string), ...lex.series.find(text).map((h) => h.value as string)])];
}

/** The one series a message names (by a title or the series' name), or undefined when it names none or several. */
export function onlySeriesNamed(text: string, lex: Lexicon): string | undefined {
  const named = seriesNamed(text, lex);
  return named.length === 1 ? named[0] : undefined;
}

const sentenceSeries = new WeakMap<Lexicon, Map<string, readonly string[]>>();
const SENTENCE_SERIES_LIMIT = 20_000;

/**
 * seriesNamed for the corpus's own sentences, remembered per lexicon: a question on one series weighs every
 * candidate sentence of its answer by it (dozens a turn, each a phrase scan and jieba's cut of the sentence),
 * and the same sentences come up again and again. Bounded (`limit` sentences, then started afresh), since an
 * edited corpus brings new sentences.
 */
export function seriesNamedInSentence(sentence: string, lex: Lexicon, limit = SENTENCE_SERIES_LIMIT): readonly string[] {
  let known = sentenceSeries.get(lex);
  if (!known) sentenceSeries.set(lex, (known = new Map()));
  let named = known.get(sentence);
  if (!named) {
    if (known.size >= limit) known.clear();
    known.set(sentence, (named = Object.freeze(seriesNamed(sentence, lex))));
  }
  return named;
}
