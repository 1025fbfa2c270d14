import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Jieba } from '@node-rs/jieba';
import { stemmer } from 'stemmer';

let jieba: Jieba | undefined;
const extraWords = new Set<string>();
let dictionaryVersion = 0;

/**
 * Jieba with its bundled dictionary: a bare `new Jieba()` splits every character. The dictionary is
 * read here rather than through the package's `dict.js`, which also reads the 6 MB keyword-idf file we
 * never use and keeps both buffers (11 MB) for the life of the process; jieba holds its own copy.
 */
function segmenter(): Jieba {
  jieba ??= Jieba.withDict(fs.readFileSync(createRequire(import.meta.url).resolve('@node-rs/jieba/dict.txt')));
  return jieba;
}

/** Teach the segmenter domain words (glossary terms) so 高级工程师 or 居住证 stay whole. */
export function addSegmenterWords(words: Iterable<string>): void {
  const fresh = [...words].filter((w) => /[\u3400-\u9fff]/.test(w) && w.length >= 2 && !extraWords.has(w));
  if (fresh.length === 0) return;
  for (const w of fresh) extraWords.add(w);
  dictionaryVersion++;
  knownBoundaries = undefined;
  segmenter().loadDict(new TextEncoder().encode(fresh.map((w) => `${w} 20000 n`).join('\n') + '\n'));
}

/** Full-width to half-width, lower case, unified whitespace. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ');
}

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;
const LATIN_WORD = /^[a-z0-9]+(?:[.'][a-z0-9]+)*$/;

export const isCjk = (s: string) => CJK.test(s);

const EN_STOP = new Set(
  'a an the and or of to in on at for with by from is are was were be been being i me my we our you your it its this that these those can could do does did how what which who whom when where why will would should may might shall have has had not no yes if then than so as about into there their they them he she his her also just any all some more most such only own same too very s t difference differences between versus vs many much hey hi hello whats hows pls please thx thanks ok okay um uh'.split(
    ' ',
  ),
);
const ZH_STOP = new Set(
  '的 了 吗 呢 吧 啊 呀 嘛 么 是 我 你 他 她 它 们 我们 你们 在 和 与 及 或 也 都 就 还 又 这 那 这个 那个 什么 怎么 怎样 如何 请问 一下 可以 能 能否 可不可以 想 要 会 有 没有 没 个 把 被 让 给 对 从 到 为 为了 以 之 其 而 等 并 但 如果 已经 哪些 哪个 多少 吗？ 呢？ 请 您 啥 咋 跟 到底 还是 一 回事 一回事 是不是 有没有 呗 哦 嗯 上'.split(
    ' ',
  ),
);

/** Words for lexical search: jieba search-mode words for Chinese, stemmed words for English. */
export function tokenize(text: string): string[] {
  // Short texts repeat (glossary terms expanding every query, titles): remembered, as a copy each time.
  const memo = text.length <= MEMO_MAX_LENGTH;
  if (memo) {
    if (memoVersion !== dictionaryVersion) {
      tokenMemo.clear();
      memoVersion = dictionaryVersion;
    }
    const known = tokenMemo.get(text);
    if (known) return [...known];
  }
  const out: string[] = [];
  for (const raw of segmenter().cutForSearch(normalizeText(text), true)) {
    const t = lexicalToken(raw);
    if (t !== undefined) out.push(t);
  }
  if (memo) {
    if (tokenMemo.size >= MEMO_ENTRIES) tokenMemo.clear();
    tokenMemo.set(text, [...out]);
  }
  return out;
}

const MEMO_MAX_LENGTH = 32;
const MEMO_ENTRIES = 20_000;
const tokenMemo = new Map<string, string[]>();
let memoVersion = 0;

/** What `tokenize` keeps of one raw search-mode word (undefined: dropped). Shared with analyzer.ts. */
export function lexicalToken(raw: string): string | undefined {
  const t = raw.trim();
  if (!t) return undefined;
  if (isCjk(t)) return ZH_STOP.has(t) ? undefined : t;
  if (LATIN_WORD.test(t)) return EN_STOP.has(t) ? undefined : /^[a-z]+$/.test(t) ? stemOf(t) : t;
  return undefined;
}

/** Stems, remembered: a corpus and its questions use a few thousand English words over and over. */
const stems = new Map<string, string>();
function stemOf(word: string): string {
  let stem = stems.get(word);
  if (stem === undefined) {
    stem = stemmer(americanSpelling(word));
    if (stems.size >= 50_000) stems.clear();
    stems.set(word, stem);
  }
  return stem;
}

/** British spellings the corpus uses, and the usual exceptions to them. */
const BRITISH_SPELLINGS: Array<[RegExp, string]> = [
  [/(?<=[a-z]{3})is(e|ed|es|ing|ation|ations|er|ers)$/, 'iz$1'],
  [/(?<=[a-z]{2})ys(e|ed|es|ing)$/, 'yz$1'],
  [/(?<=[a-z]{3})our(s|ed|ing|ite|ites|able)?$/, 'or$1'],
  [/(?<=[a-z]{3})tre(s)?$/, 'ter$1'],
  [/(?<=[a-z]{4})ogue(s)?$/, 'og$1'],
  [/^licence(s)?$/, 'license$1'],
  [/^programme(s)?$/, 'program$1'],
];

/** Any of the endings above: most words have none and skip the list. */
const MAYBE_BRITISH = /(?:is|ys)(?:e|ed|es|ing|ation|ations|er|ers)$|our(?:s|ed|ing|ite|ites|able)?$|tres?$|ogues?$|^licences?$|^programmes?$/;

/**
 * One spelling for both sides of the Atlantic: the corpus writes "recognised", "catalogue", "centre",
 * and a question may say "recognized", "catalog", "center". Applied to documents and questions alike,
 * so a word it changes needlessly ("enterprise" → "enterprize") still meets itself.
 */
function americanSpelling(word: string): string {
  if (!MAYBE_BRITISH.test(word)) return word;
  for (const [re, to] of BRITISH_SPELLINGS) if (re.test(word)) return word.replace(re, to);
  return word;
}

/** Jieba's accurate-mode words (no overlapping sub-words), for embedding features. */
export function segmentWords(text: string): string[] {
  const out: string[] = [];
  for (const raw of segmenter().cut(normalizeText(text), true)) {
    const w = embeddingWord(raw);
    if (w !== undefined) out.push(w);
  }
  return out;
}

/** What `segmentWords` keeps of one raw accurate-mode word (undefined: dropped). */
export function embeddingWord(raw: string): string | undefined {
  const w = raw.trim();
  return w && (isCjk(w) || LATIN_WORD.test(w)) ? w : undefined;
}

/** Both jieba modes over one already-normalised text, for analyzer.ts (which caches them per piece). */
export function cutBothModes(normalized: string): { accurate: string[]; search: string[] } {
  const jieba = segmenter();
  return { accurate: jieba.cut(normalized, true), search: jieba.cutForSearch(normalized, true) };
}

export const stemWord = (w: string) => (/^[a-z]+$/.test(w) ? stemmer(w) : w);
export const isEnglishStopword = (w: string) => EN_STOP.has(w);
export const isChineseStopword = (w: string) => ZH_STOP.has(w);

/** Offsets where jieba's accurate-mode words start or end, over already-normalised text. */
export function wordBoundaries(normalized: string): Set<number> {
  if (knownBoundaries?.text === normalized) return knownBoundaries.boundaries();
  const out = new Set<number>([0, normalized.length]);
  let at = 0;
  for (const w of segmenter().cut(normalized, true)) {
    at += w.length;
    out.add(at);
  }
  return out;
}

/**
 * The boundaries of the text analysed last, handed over by analyzer.ts: an index build analyses a
 * chunk and then matches the glossary on the same text, which would otherwise cut it with jieba again.
 */
let knownBoundaries: { text: string; boundaries: () => Set<number> } | undefined;
/** `boundaries` is called only if someone asks (the glossary, for a two-character Chinese form). */
export function rememberWordBoundaries(normalized: string, boundaries: () => Set<number>): void {
  knownBoundaries = { text: normalized, boundaries };
}

/** Changes whenever the segmenter learns words, so cached segmentations (analyzer.ts) can tell they are stale. */
export function segmenterVersion(): number {
  return dictionaryVersion;
}
