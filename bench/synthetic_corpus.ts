import path from 'node:path';
import { chunkDocument, loadCorpus, splitSentences, type CorpusDoc, type GlossaryEntry, type Lang } from '../src/knowledge/index.js';

/** mulberry32: a small seeded PRNG, so every run builds the same corpus and asks the same questions. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Words and sentences of the real corpus, grouped so a synthetic document keeps to a theme. */
export interface Vocabulary {
  glossary: GlossaryEntry[];
  /** Real sentences per language, grouped by the document they come from. */
  sentences: Record<Lang, string[][]>;
  /** Glossary terms per concept, per language. */
  terms: Array<Record<Lang, string[]>>;
}

export function loadVocabulary(knowledgeDir = path.resolve('knowledge')): Vocabulary {
  const corpus = loadCorpus(knowledgeDir);
  const sentences: Record<Lang, string[][]> = { zh: [], en: [] };
  for (const doc of corpus.docs) {
    const own = chunkDocument(doc)
      .flatMap((c) => c.text.split('\n'))
      .filter((line) => !/^\s*\|/.test(line))
      .map((line) => line.replace(/^\s*(?:[-*+]|\d+[.)、])\s+/, ''))
      .flatMap((line) => splitSentences(line))
      .filter((s) => s.length >= (doc.lang === 'zh' ? 8 : 30) && s.length <= (doc.lang === 'zh' ? 120 : 260));
    if (own.length >= 3) sentences[doc.lang].push(own);
  }
  const terms = corpus.glossary.map((e) => ({ zh: [...e.zh, ...e.abbreviations.filter(isChinese), ...e.colloquial.filter(isChinese)], en: e.en }));
  return { glossary: corpus.glossary, sentences, terms };
}

const isChinese = (s: string) => /[\u3400-\u9fff]/.test(s);

const ZH_TEMPLATES = [
  (a: string, b: string, n: number) => `申报${a}的人员，应当在${n}个工作日内提交${b}的相关材料。`,
  (a: string, b: string, n: number) => `${a}与${b}的衔接办法，以${2015 + (n % 11)}年发布的通知为准。`,
  (a: string, b: string, n: number) => `关于${a}，第${n}批名单中列明了${b}的具体要求。`,
  (a: string, b: string, n: number) => `取得${a}满${1 + (n % 6)}年后，可以按规定申报${b}。`,
];
const EN_TEMPLATES = [
  (a: string, b: string, n: number) => `Applicants for the ${a} submit the ${b} materials within ${n} working days.`,
  (a: string, b: string, n: number) => `The link between the ${a} and the ${b} follows the ${2015 + (n % 11)} notice.`,
  (a: string, b: string, n: number) => `Batch ${n} of the list sets out what the ${a} requires for the ${b}.`,
  (a: string, b: string, n: number) => `After ${1 + (n % 6)} years with the ${a}, one may apply for the ${b}.`,
];

export interface SyntheticCorpus {
  docs: CorpusDoc[];
  queries: string[];
}

/**
 * `chunkCount` chunks in documents of `sectionsPerDoc` one-chunk sections. Each document keeps to a
 * theme (a real document's sentences and three glossary concepts), mixes in sentences from elsewhere
 * and code-switches now and then, so hashed vectors cluster the way real ones do.
 */
export function syntheticCorpus(vocab: Vocabulary, chunkCount: number, seed = 20240415, sectionsPerDoc = 10): SyntheticCorpus {
  const rand = prng(seed ^ chunkCount);
  const pick = <T>(list: T[]): T => list[Math.floor(rand() * list.length)];
  const docs: CorpusDoc[] = [];
  const docCount = Math.ceil(chunkCount / sectionsPerDoc);
  for (let d = 0; d < docCount; d++) {
    const lang: Lang = rand() < 0.55 ? 'zh' : 'en';
    const other: Lang = lang === 'zh' ? 'en' : 'zh';
    const themeSentences = pick(vocab.sentences[lang]);
    const theme = [pick(vocab.terms), pick(vocab.terms), pick(vocab.terms)];
    const term = (l: Lang) => pick(pick(theme)[l]);
    const sections = Math.min(sectionsPerDoc, chunkCount - d * sectionsPerDoc);
    const parts: string[] = [];
    for (let s = 0; s < sections; s++) {
      parts.push(`## ${term(lang)} ${lang === 'zh' ? `第${s + 1}部分` : `part ${s + 1}`}`, '');
      const sentences: string[] = [];
      let length = 0;
      // One chunk per section: stay under the chunker's 700-character ceiling.
      const [budget, cap] = lang === 'zh' ? [220, 600] : [420, 660];
      for (let tries = 0; length < budget && tries < 50; tries++) {
        const r = rand();
        const n = 1 + Math.floor(rand() * 60);
        const templates = lang === 'zh' ? ZH_TEMPLATES : EN_TEMPLATES;
        const sentence =
          r < 0.45 ? pick(themeSentences)
          : r < 0.7 ? pick(pick(vocab.sentences[lang]))
          : r < 0.93 ? pick(templates)(term(lang), term(lang), n)
          : lang === 'zh' ? `${term('zh')}（${term(other)}）的说明见第${n}条。`
          : `The ${term('en')} (${term(other)}) is described in item ${n}.`;
        if (length + sentence.length + 1 > cap) continue;
        sentences.push(sentence);
        length += sentence.length + 1;
      }
      parts.push(sentences.join(lang === 'zh' ? '' : ' '), '');
    }
    const id = `synthetic-${String(d).padStart(6, '0')}.${lang}`;
    const title = lang === 'zh' ? `${term('zh')}说明（${d}）` : `Notes on the ${term('en')} (${d})`;
    const scope = rand() < 0.05 ? 'other' : 'titles';
    const dated = rand() < 0.1;
    docs.push({
      id,
      title,
      lang,
      series: [],
      topics: [],
      scope,
      effective_from: dated ? '2019-01-01' : undefined,
      effective_to: dated ? (rand() < 0.5 ? '2021-12-31' : '2030-12-31') : undefined,
      body: `# ${title}\n\n${parts.join('\n')}`,
      file: `docs/${id}.md`,
    });
  }
  return { docs, queries: syntheticQueries(vocab, 200, seed + 1) };
}

const ZH_QUESTIONS = ['{}怎么申报？', '{}需要什么条件？', '{}的评审流程是什么？', '我想了解{}', '{}和{}有什么区别？', '{}要几年？'];
const EN_QUESTIONS = ['How do I apply for the {}?', 'What are the requirements for the {}?', 'How does the {} review work?', 'Tell me about the {}', 'What is the difference between the {} and the {}?', 'How many years before the {}?'];

/** Questions as users ask them: glossary terms in question templates, and fragments of real sentences. */
export function syntheticQueries(vocab: Vocabulary, n: number, seed: number): string[] {
  const rand = prng(seed);
  const pick = <T>(list: T[]): T => list[Math.floor(rand() * list.length)];
  const out: string[] = [];
  while (out.length < n) {
    const lang: Lang = out.length % 2 === 0 ? 'zh' : 'en';
    if (rand() < 0.6) {
      const template = pick(lang === 'zh' ? ZH_QUESTIONS : EN_QUESTIONS);
      out.push(template.replace(/\{\}/g, () => pick(pick(vocab.terms)[lang])));
    } else {
      const sentence = pick(pick(vocab.sentences[lang]));
      if (lang === 'zh') {
        const len = 6 + Math.floor(rand() * 10);
        const start = Math.floor(rand() * Math.max(1, sentence.length - len));
        out.push(sentence.slice(start, start + len));
      } else {
        const words = sentence.split(/\s+/);
        const len = 4 + Math.floor(rand() * 4);
        const start = Math.floor(rand() * Math.max(1, words.length - len));
        out.push(words.slice(start, start + len).join(' '));
      }
    }
  }
  return out;
}
