import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { stemmer } from 'stemmer';

let jieba: Jieba | undefined;
const extraWords = new Set<string>();

/** Jieba with its bundled dictionary: a bare `new Jieba()` splits every character. */
function segmenter(): Jieba {
  jieba ??= Jieba.withDict(dict);
  return jieba;
}

/** Teach the segmenter domain words (glossary terms) so 高级工程师 or 居住证 stay whole. */
export function addSegmenterWords(words: Iterable<string>): void {
  const fresh = [...words].filter((w) => /[\u3400-\u9fff]/.test(w) && w.length >= 2 && !extraWords.has(w));
  if (fresh.length === 0) return;
  for (const w of fresh) extraWords.add(w);
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
  'a an the and or of to in on at for with by from is are was were be been being i me my we our you your it its this that these those can could do does did how what which who whom when where why will would should may might shall have has had not no yes if then than so as about into there their they them he she his her also just any all some more most such only own same too very s t'.split(
    ' ',
  ),
);
const ZH_STOP = new Set(
  '的 了 吗 呢 吧 啊 呀 嘛 么 是 我 你 他 她 它 们 我们 你们 在 和 与 及 或 也 都 就 还 又 这 那 这个 那个 什么 怎么 怎样 如何 请问 一下 可以 能 能否 可不可以 想 要 会 有 没有 没 个 把 被 让 给 对 从 到 为 为了 以 之 其 而 等 并 但 如果 已经 哪些 哪个 多少 吗？ 呢？ 请 您'.split(
    ' ',
  ),
);

/** Words for lexical search: jieba search-mode words for Chinese, stemmed words for English. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const raw of segmenter().cutForSearch(normalizeText(text), true)) {
    const t = raw.trim();
    if (!t) continue;
    if (isCjk(t)) {
      if (!ZH_STOP.has(t)) out.push(t);
    } else if (LATIN_WORD.test(t)) {
      if (!EN_STOP.has(t)) out.push(/^[a-z]+$/.test(t) ? stemmer(t) : t);
    }
  }
  return out;
}

/** Jieba's accurate-mode words (no overlapping sub-words), for embedding features. */
export function segmentWords(text: string): string[] {
  return segmenter()
    .cut(normalizeText(text), true)
    .map((w) => w.trim())
    .filter((w) => w && (isCjk(w) || LATIN_WORD.test(w)));
}

export const stemWord = (w: string) => (/^[a-z]+$/.test(w) ? stemmer(w) : w);
export const isEnglishStopword = (w: string) => EN_STOP.has(w);
export const isChineseStopword = (w: string) => ZH_STOP.has(w);

/** Offsets where jieba's accurate-mode words start or end, over already-normalised text. */
export function wordBoundaries(normalized: string): Set<number> {
  const out = new Set<number>([0, normalized.length]);
  let at = 0;
  for (const w of segmenter().cut(normalized, true)) {
    at += w.length;
    out.add(at);
  }
  return out;
}
