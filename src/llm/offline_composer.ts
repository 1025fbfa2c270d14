import { hasShanghaiCounterpart, isNationalStandardOnly, namesNoPlace, splitSentences, tokenize, type Chunk, type KnowledgeIndex, type RetrievalResult, type RetrievedChunk } from '../knowledge/index.js';
import type { Citation } from './citations.js';
import { fill, pick, type Lang, type Templates } from './prompts.js';

export interface ComposeInput {
  query: string;
  lang: Lang;
  retrieval: RetrievalResult;
  index: KnowledgeIndex;
  templates: Templates;
  /** Numbering continues after citations already in the reply (e.g. from the eligibility part). */
  firstCitation?: number;
  /** Only the cited lines (and the confidence note): the reply they go into has its own opening and closing. */
  bare?: boolean;
  /** The question is a claim to check ("I heard I need a master's, is that true?"): lists are shown whole, to compare. */
  checksClaim?: boolean;
  /**
   * Sentences the previous replies quoted, and the follow-up as typed: a sentence already said that holds none of
   * the follow-up's own words ("需要什么条件" after "直通车是什么") is heard again only when nothing new answers as well.
   */
  alreadySaid?: { quotes: ReadonlySet<string>; followUp: string };
  /**
   * Whether a sentence is on another series than the one the question asks about: a general document's
   * example on 高级会计师 answers another question than "护士需要考试吗". Such a sentence ranks lower.
   */
  onOtherSeries?: (sentence: string) => boolean;
}

export interface ComposedReply {
  text: string;
  citations: Citation[];
  /** The corpus did not answer: the reply says so and points to the official channels. */
  silent: boolean;
  /** The corpus states that it does not hold the answer (its list of what to ask 12333): said, with where to ask. */
  statedGap?: boolean;
  otherLanguage: boolean;
  otherScope: boolean;
  lowConfidence: boolean;
  /** The sentences quoted, for the next turn's alreadySaid. */
  said?: string[];
}

interface Candidate {
  chunk: Chunk;
  rank: number;
  position: number;
  /** Verbatim text of the sentence in its chunk (the quote). */
  quote: string;
  /** The sentence as shown: Markdown markers removed. */
  display: string;
  /** The items of the list the sentence leads in, as shown. */
  items?: string[];
  terms: Set<string>;
  score: number;
  /** The question asks of one thing (whether it is needed, when it happens) and this sentence names it. */
  namesNeeded?: boolean;
}

const BUDGET: Record<Lang, number> = { zh: 360, en: 800 };
/** The glossary's concept of a professional title itself (职称). */
const TITLE_CONCEPT = 'professional-title';
const APPLY_CONCEPT = 'apply';
/** Concepts said only of titles: "包过的中介靠谱吗" is answered by the integrity rules, not by what the assistant says of itself. */
const TITLE_ONLY_CONCEPTS = new Set([TITLE_CONCEPT, 'fraud-agency', 'falsification', 'fees']);
/** A concept this common (职称 itself) says little about which sentence answers. */
const GENERIC_CONCEPT_IDF = 2;
/** What a sentence of a national-standard document loses when the question names no place. */
const NATIONAL_STANDARD_PENALTY = 0.15;
const MAX_SENTENCES = 4;
/** How much less a sentence the previous reply quoted is worth in a follow-up. */
const SAID_BEFORE_PENALTY = 0.4;
const MIN_COVERAGE = 0.2;
/** Terms shared with a chosen sentence, of the larger set of the two, above which a sentence only repeats it. */
const SAME_SENTENCE = 0.8;
const QUANTITY_QUESTION = /几|多少|多久|多长|how (many|long|much)|number of|years?\b/i;
/** The unit a quantity question asks about: 几类 → 类, 多少人 → 人, "how many years" → year. */
const MEASURE = /(?:几|多少)\s*(?:个)?([类种门科年人字级批项条天月位名个])|how many ([a-z]+)|how (long)/i;
const NUMBER = '(?:\\d[\\d,.]*|[一二两三四五六七八九十百千万]+)';
/** The corpus's own list of what it does not hold (the hotline document): "本资料中没有", "not in these sources". */
const NOT_IN_SOURCES = /本资料中没有|本资料库[均也]?(?:没有|未)(?:检索到|确认|整理到)|本资料库无法(?:确认|核实)|本次资料整理没有(?:取得|找到|核实)|资料中没有官方答案|现有资料中都?没有(找到|得到确认)|资料没有写明|not (?:confirmed )?in these sources|no official answer in this assistant's sources|the sources do not cover|not found in (?:the sources|this corpus)|(?:not|cannot be) (?:confirmed|retrieved|verified|stated) in this knowledge base|^no official .{0,80} was confirmed/i;
/** A second stated gap joins the first when it scores this close to it ("单位不聘": appointment and pay). */
const STATED_GAP_NEAR = 0.9;
/** Statements that the sources are silent: useful when nothing else answers, never ahead of a fact. */
const GAP_STATEMENT = /没有(详细)?说明|没有给出|未检索到|没有检索到|未经核实的|没有得到确认|请查阅当年|请以当年|not (confirmed|found|given|detailed|retrieved)|check the current|call the shanghai 12333/i;

/**
 * The default composer: picks the sentences of the retrieved chunks that answer the question (scored
 * against the query, redundancy removed), cites each, and wraps them in the mentor's voice.
 */
export function composeGroundedReply(input: ComposeInput): ComposedReply {
  const { retrieval, lang, templates, index } = input;
  let chunks = preferUserLanguage(retrieval.chunks, lang, index, input.query);
  // Nothing in the mentor's field matched, but a `scope: other` document did: a brief cited answer.
  const otherScope = !retrieval.inScopeMatch && chunks[0]?.chunk.scope === 'other';
  if (otherScope) chunks = chunks.filter((c) => c.chunk.scope === 'other');
  if (chunks.length === 0 || (!retrieval.inScopeMatch && !otherScope) || retrieval.bestCoverage < MIN_COVERAGE) {
    return silentReply(input);
  }

  const queryWeights = weightedQuery(input.query, index);
  // A reply keeps to one field: job-interview tips do not round off an answer on titles, and a question
  // that names titles ("怎么查我的职称") is answered from the documents on titles when any were found.
  // 申报 is said of titles, while "apply" is said of jobs too.
  const namesTitles = index.glossary.match(input.query).some((m) => TITLE_ONLY_CONCEPTS.has(m.conceptId) || (m.conceptId === APPLY_CONCEPT && /[\u4e00-\u9fff]/.test(m.surface)));
  const field = namesTitles && chunks.some((c) => c.chunk.scope === 'titles') ? 'titles' : chunks[0].chunk.scope;
  const top = chunks.filter((c) => c.chunk.scope === field).slice(0, 5);
  // "What is X?" is answered by the opening of X's document, even when another section ranked higher.
  const wantsDefinition = DEFINITION_QUESTION.test(input.query);
  if (wantsDefinition && !top.some((c) => c.chunk.id === `${top[0].chunk.docId}#0`)) {
    const opening = index.chunksByDoc.get(top[0].chunk.docId)?.[0];
    if (opening !== undefined) top.unshift({ ...top[0], chunk: index.chunks[opening], index: opening });
  }
  const focus = titleFocus(input.query, index);
  const wantsConditions = CONDITION_QUESTION.test(input.query);
  // A claim is checked against the whole list of conditions, not the lines on the degree it names.
  const candidates = candidateSentences(top, queryWeights, input.query, index, focus, input.alreadySaid, input.onOtherSeries, !input.checksClaim);
  // The corpus says outright that it does not hold this ("评审通过率，本资料中没有"): that, and whom to ask.
  const gaps = statedGaps(candidates, queryWeights);
  if (gaps.length) return statedGapReply(input, gaps);
  const chosen = selectSentences(candidates, queryWeights, BUDGET[lang], otherScope ? 2 : MAX_SENTENCES);
  if (chosen.length === 0) return silentReply(input);

  const citations: Citation[] = [];
  const numberOf = new Map<string, number>();
  // In reading order, except that a definition question's answer, the opening of the document, comes first.
  const isOpening = (c: Candidate) => wantsDefinition && c.position === 0 && c.chunk.id.endsWith('#0') && namesAsked(c.terms, focus, index);
  // The best answer first ("承诺包过的中介不可信" before the document's earlier lines on ages), the rest in
  // reading order. (So a document's sentences each stand alone: no "据同一页面…", test/unit/knowledge.corpus.test.ts.)
  const best = chosen[0];
  const lines = chosen
    .sort((a, b) => Number(isOpening(b)) - Number(isOpening(a)) || Number(b === best) - Number(a === best) || a.rank - b.rank || a.position - b.position)
    .map((c) => {
      let n = numberOf.get(c.chunk.id);
      if (n === undefined) {
        n = (input.firstCitation ?? 1) + citations.length;
        numberOf.set(c.chunk.id, n);
        citations.push(citationFor(c.chunk, c.quote, n));
      }
      const [lead, ...items] = (wantsConditions || input.checksClaim ? c.display : itemsAsked(c, queryWeights, index)).split('\n');
      return [`${lead} [${n}]`, ...items].join('\n');
    });

  const otherLanguage = chosen.some((c) => c.chunk.lang !== lang);
  const lowConfidence = chosen.some((c) => c.chunk.confidence === 'C');
  const parts: string[] = [];
  const framed = !input.bare;
  if (framed && otherScope) parts.push(templates.other_scope_note[lang]);
  else if (framed) parts.push(pick(templates.openings[lang], input.query));
  if (otherLanguage) parts.push(templates.other_language_note[lang]);
  parts.push(lines.length > 1 || !framed ? lines.map((l) => `• ${l}`).join('\n') : lines[0]);
  if (lowConfidence) parts.push(templates.confidence_note[lang]);
  // "Check this year's notice" closes an answer on titles, not interview tips.
  if (framed && !otherScope && field === 'titles') parts.push(pick(templates.closings[lang], input.query));
  return { text: parts.join('\n\n'), citations, silent: false, otherLanguage, otherScope, lowConfidence, said: chosen.map((c) => c.quote) };
}

export function citationFor(chunk: Chunk, quote: string, n: number): Citation {
  return {
    n,
    docId: chunk.docId,
    chunkId: chunk.id,
    title: chunk.title,
    ...(chunk.url ? { url: chunk.url } : {}),
    quote,
    ...(chunk.sourceDate ? { date: chunk.sourceDate } : {}),
    ...(chunk.confidence ? { confidence: chunk.confidence } : {}),
  };
}

/** When the corpus is silent: say so, and cite the hotline document instead of guessing. */
export function silentReply(input: Pick<ComposeInput, 'lang' | 'templates' | 'index' | 'firstCitation'>): ComposedReply {
  const pointer = hotlinePointer(input, input.firstCitation ?? 1);
  const parts = [input.templates.silent[input.lang], ...(pointer ? [pointer.line] : [])];
  return { text: parts.join('\n\n'), citations: pointer ? [pointer.citation] : [], silent: true, otherLanguage: false, otherScope: false, lowConfidence: false };
}

/** "也可以拨打人社服务热线咨询：…" with its citation numbered `n`. */
function hotlinePointer(input: Pick<ComposeInput, 'lang' | 'templates' | 'index'>, n: number): { line: string; citation: Citation } | undefined {
  const { lang, templates, index } = input;
  // The number to dial in Shanghai first; the sentence on the hotline's history only when there is no other.
  const hotlineDoc = `${templates.cited_docs.hotline}.${lang}`;
  const hotline = findSentence(index, hotlineDoc, /021-12333/) ?? findSentence(index, hotlineDoc, /12333/);
  if (!hotline) return undefined;
  return { line: `${fill(templates.hotline_pointer[lang], { quote: clean(hotline.quote) })} [${n}]`, citation: citationFor(hotline.chunk, hotline.quote, n) };
}

/**
 * The corpus's statements that it lacks what was asked, when the heaviest question term any sentence
 * holds ("通过率", "丢") is held only by such statements. A fact that holds it too (the third-party "90学时"
 * for "继续教育学时有要求吗") keeps the usual reply, which puts the stated gap beside that fact.
 */
function statedGaps(candidates: Candidate[], query: Map<string, number>): Candidate[] {
  let heaviest: string | undefined;
  for (const [t, w] of query) if ((heaviest === undefined || w > query.get(heaviest)!) && candidates.some((c) => c.terms.has(t))) heaviest = t;
  const holders = heaviest === undefined ? [] : candidates.filter((c) => c.terms.has(heaviest!));
  const onlyGapsHoldIt = holders.length > 0 && holders.every((c) => NOT_IN_SOURCES.test(c.quote));
  // Or only a statement of a gap holds every word the question weighs ("change", "jobs", "still", "count"), though
  // other sentences hold some ("changed" in a notice's news): the question as the corpus lists it.
  const heavy = [...query].filter(([t, w]) => w >= 1 && candidates.some((c) => c.terms.has(t))).map(([t]) => t);
  const holdsAll = (c: Candidate) => heavy.length >= 2 && heavy.every((t) => c.terms.has(t));
  if (!onlyGapsHoldIt) {
    const whole = candidates.filter(holdsAll);
    return whole.length > 0 && whole.every((c) => NOT_IN_SOURCES.test(c.quote) && !/[：:]$/.test(c.quote)) ? whole.sort((a, b) => b.score - a.score).slice(0, 1) : [];
  }
  const top = Math.max(...holders.map((c) => c.score));
  // The lead of the corpus's list of gaps ("下列…没有官方答案：") is said by the reply's own opening.
  return candidates
    .filter((c) => NOT_IN_SOURCES.test(c.quote) && !/[：:]$/.test(c.quote) && (c.terms.has(heaviest!) || c.score >= top * STATED_GAP_NEAR))
    .sort((a, b) => b.score - a.score)
    .slice(0, 2);
}

/**
 * The question is one the corpus lists as not covered: its own statement of that, cited, then where to
 * ask. Silent in all but name, so the turn counts as unanswered for staff.
 */
function statedGapReply(input: ComposeInput, gaps: Candidate[]): ComposedReply {
  const { lang, templates } = input;
  const first = input.firstCitation ?? 1;
  const citations: Citation[] = [];
  const numberOf = new Map<string, number>();
  const lines = gaps.map((c) => {
    let n = numberOf.get(c.chunk.id);
    if (n === undefined) {
      n = first + citations.length;
      numberOf.set(c.chunk.id, n);
      citations.push(citationFor(c.chunk, c.quote, n));
    }
    return `• ${clean(c.quote)} [${n}]`;
  });
  const parts = [templates.gap_stated[lang], lines.join('\n'), templates.gap_next_step[lang]];
  const pointer = hotlinePointer(input, first + citations.length);
  if (pointer) {
    parts.push(pointer.line);
    citations.push(pointer.citation);
  }
  return { text: parts.join('\n\n'), citations, silent: false, statedGap: true, otherLanguage: false, otherScope: false, lowConfidence: false };
}

/** The first sentence of a document matching a pattern, for fixed replies that must still cite. */
export function findSentence(index: KnowledgeIndex, docId: string, pattern: RegExp): { chunk: Chunk; quote: string } | undefined {
  const ids = index.chunksByDoc.get(docId) ?? index.chunksByDoc.get(index.translations.get(docId) ?? '') ?? [];
  for (const i of ids) {
    const chunk = index.chunks[i];
    const quote = sentencesOf(chunk.text).find((s) => pattern.test(s));
    if (quote) return { chunk, quote };
  }
  return undefined;
}

/** Swap a chunk in the other language for the best chunk of its translation, when one exists. */
function preferUserLanguage(chunks: RetrievedChunk[], lang: Lang, index: KnowledgeIndex, query: string): RetrievedChunk[] {
  const seen = new Set<string>();
  const out: RetrievedChunk[] = [];
  const queryWeights = weightedQuery(query, index);
  for (const r of chunks) {
    let chosen = r;
    if (r.chunk.lang !== lang) {
      const translation = index.translations.get(r.chunk.docId);
      const ids = translation ? index.chunksByDoc.get(translation) : undefined;
      if (ids?.length) {
        // The translation's chunk that shares the most query terms, ties broken by chunk order.
        const best = ids
          .map((i) => ({ i, s: overlap(termSet(index.chunks[i].text, index), queryWeights) + (Number(index.chunks[i].id.split('#')[1]) === Number(r.chunk.id.split('#')[1]) ? 0.05 : 0) }))
          .sort((a, b) => b.s - a.s || a.i - b.i)[0];
        chosen = { ...r, chunk: index.chunks[best.i], index: best.i };
      }
    }
    if (seen.has(chosen.chunk.id)) continue;
    seen.add(chosen.chunk.id);
    out.push(chosen);
  }
  return out;
}

function weightedQuery(query: string, index: KnowledgeIndex): Map<string, number> {
  const weights = new Map<string, number>();
  const matches = index.glossary.match(query);
  const terms = [...tokenize(query), ...matches.map((m) => `§${m.conceptId}`)];
  for (const t of terms) weights.set(t, Math.max(weights.get(t) ?? 0, index.bm25.idf(t)));
  // A colloquial form of a concept found nearly everywhere weighs no more than that concept: "评职称" is
  // rare in formal documents but asks about nothing beyond 职称, and would otherwise favour any sentence
  // quoting a claim "评职称必须…".
  for (const m of matches) {
    const cap = index.bm25.idf(`§${m.conceptId}`);
    if (m.kind !== 'colloquial' || cap > GENERIC_CONCEPT_IDF) continue;
    for (const t of tokenize(m.surface)) if ((weights.get(t) ?? 0) > cap) weights.set(t, cap);
  }
  // Canonical names of the concepts asked about, in both languages, count a little; so do the concepts
  // they are made of (a question on title levels is answered by a sentence naming 副高级 and 正高级).
  for (const m of matches) {
    const canon = index.glossary.canonical(m.conceptId);
    for (const t of canon ? [...tokenize(canon.zh), ...tokenize(canon.en)] : []) if (!weights.has(t)) weights.set(t, index.bm25.idf(t) * 0.35);
    for (const part of index.glossary.parts(m.conceptId)) if (!weights.has(`§${part}`)) weights.set(`§${part}`, index.bm25.idf(`§${part}`) * 0.35);
  }
  return weights;
}

/**
 * A text's terms, kept per glossary (the same chunks' sentences are scored on every question about
 * them; tokenising them again was a fifth of a turn). Callers only read the sets.
 */
const termSets = new WeakMap<object, Map<string, Set<string>>>();
function termSet(text: string, index: KnowledgeIndex): Set<string> {
  let cache = termSets.get(index.glossary);
  if (!cache) termSets.set(index.glossary, (cache = new Map()));
  let terms = cache.get(text);
  if (!terms) {
    terms = new Set([...tokenize(text), ...index.glossary.match(text).map((m) => `§${m.conceptId}`)]);
    if (cache.size >= 20_000) cache.clear();
    cache.set(text, terms);
  }
  return terms;
}

function overlap(terms: Set<string>, query: Map<string, number>): number {
  let total = 0;
  let hit = 0;
  for (const [t, w] of query) {
    total += w;
    if (terms.has(t)) hit += w;
  }
  return total ? hit / total : 0;
}

const LIST_MARKER = /^\s*(?:[-*+]|\d+[.)、])\s+/;
const SKIP_LINE = (line: string) => /^\s*\|?\s*:?-{3,}/.test(line) || /^#+\s/.test(line);

interface Unit {
  /** Verbatim text of the chunk. */
  quote: string;
  /** What the reader sees: a lead-in sentence ending in a colon carries the list that follows it. */
  display: string;
  /** The items of that list, as displayed; not when they are rows of a table, which is read whole. */
  items?: string[];
}

/** Sentences and list items of a chunk; each quote is a verbatim substring of it. */
const TABLE_ROW = /^\s*\|/;
const isTableHeader = (lines: string[], i: number) => TABLE_ROW.test(lines[i]) && /^\s*\|?\s*:?-{3,}/.test(lines[i + 1] ?? '');

/** Units of recently used chunks (callers only read them). */
const unitCache = new Map<string, Unit[]>();
function unitsOf(text: string): Unit[] {
  let units = unitCache.get(text);
  if (!units) {
    units = splitUnits(text);
    if (unitCache.size >= 5_000) unitCache.clear();
    unitCache.set(text, units);
  }
  return units;
}

function splitUnits(text: string): Unit[] {
  const lines = text.split('\n');
  const units: Unit[] = [];
  let header: string[] | undefined;
  lines.forEach((line, i) => {
    if (isTableHeader(lines, i)) header = cellsOf(line);
    else if (!TABLE_ROW.test(line)) header = undefined;
    if (SKIP_LINE(line) || isTableHeader(lines, i)) return;
    if (TABLE_ROW.test(line)) {
      const quote = line.trim();
      if (quote.length >= 6) units.push({ quote, display: rowDisplay(header, cellsOf(line)) ?? clean(quote) });
      return;
    }
    const sentences = splitSentences(line.replace(LIST_MARKER, ''));
    sentences.forEach((sentence, j) => {
      const quote = sentence.trim();
      if (quote.length < 6 || !text.includes(quote)) return;
      let display = clean(quote);
      if (/[：:]$/.test(quote) && j === sentences.length - 1) {
        // A lead-in carries the list or table that follows it.
        const items: string[] = [];
        let fromTable = false;
        let itemHeader: string[] | undefined;
        for (let k = i + 1; k < lines.length && items.length < 6; k++) {
          if (isTableHeader(lines, k)) itemHeader = cellsOf(lines[k]);
          if (!lines[k].trim() || SKIP_LINE(lines[k]) || isTableHeader(lines, k)) continue;
          if (!LIST_MARKER.test(lines[k]) && !TABLE_ROW.test(lines[k])) break;
          fromTable ||= TABLE_ROW.test(lines[k]);
          items.push((TABLE_ROW.test(lines[k]) && rowDisplay(itemHeader, cellsOf(lines[k]))) || clean(lines[k].replace(LIST_MARKER, '')));
        }
        if (items.length) {
          units.push({ quote, display: withItems(display, items), items: fromTable ? undefined : items });
          return;
        }
      }
      units.push({ quote, display });
    });
  });
  return units;
}

const withItems = (lead: string, items: readonly string[]) => `${lead}\n${items.map((x) => `   - ${x}`).join('\n')}`;

/**
 * A list of separate points (not the conditions asked for) shown with only the items the question names
 * beyond what its lead-in says: "评职称要多少钱" wants the fee line of a list of open questions, not all six.
 * The whole list when no item names something asked, or most do (a table of levels asked for whole).
 */
function itemsAsked(unit: Pick<Candidate, 'quote' | 'display' | 'items'>, query: Map<string, number>, index: KnowledgeIndex): string {
  const items = unit.items;
  if (!items || items.length < 3) return unit.display;
  const lead = termSet(unit.quote, index);
  const asked = new Map([...query].filter(([t]) => !lead.has(t)));
  const named = items.filter((item) => overlap(termSet(item, index), asked) > 0);
  return named.length === 0 || named.length > items.length / 2 ? unit.display : withItems(clean(unit.quote), named);
}

/** The glossary's degrees, lowest first. */
const DEGREE_CONCEPTS = ['§senior-high-school', '§secondary-vocational-education', '§junior-college', '§bachelor', '§second-bachelor', '§postgraduate-class', '§master', '§phd'];

/**
 * "what about with a PhD?": of a list with a line per degree (the conditions of a title), the lines on the
 * degree asked, or undefined when the question names no degree or the list is not one line per degree.
 */
function itemsOfDegree(unit: { quote: string; items?: string[] }, query: Map<string, number>, index: KnowledgeIndex): { quote: string; display: string; items: string[] } | undefined {
  const items = unit.items;
  const asked = DEGREE_CONCEPTS.filter((c) => query.has(c));
  if (!items || items.length < 2 || asked.length === 0) return undefined;
  const degreesOf = items.map((item) => DEGREE_CONCEPTS.filter((c) => termSet(item, index).has(c)));
  if (degreesOf.filter((d) => d.length > 0).length < items.length - 1) return undefined;
  const named = items.filter((_, i) => asked.some((c) => degreesOf[i].includes(c)));
  return named.length > 0 && named.length < items.length ? { quote: unit.quote, display: withItems(clean(unit.quote), named), items: named } : undefined;
}

const cellsOf = (row: string) => row.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => clean(c));

/**
 * A row of a table of parallel columns (a label and three or more values), each value under its column's
 * name ("Clerk (员级): Medicine 医士; Nursing 护士"): such a row of bare cells means nothing out of its
 * table. Narrower tables (a name and its translation) read well as "A / B".
 */
function rowDisplay(header: string[] | undefined, cells: string[]): string | undefined {
  if (!header || header.length < 4 || cells.length !== header.length) return undefined;
  const zh = !/[a-z]/i.test(header.join(''));
  const values = cells.slice(1).map((c, j) => `${header[j + 1]} ${c}`);
  return zh ? `${cells[0]}：${values.join('；')}` : `${cells[0]}: ${values.join('; ')}`;
}

/** Sentences of a chunk, verbatim, for fixed replies that quote one. */
function sentencesOf(text: string): string[] {
  return unitsOf(text).map((u) => u.quote);
}

/** Markdown emphasis and table pipes are dropped for display; the quote keeps the source text. */
function clean(s: string): string {
  return s
    // "[2020]" in a source is not one of our citations: show it in other brackets.
    .replace(/\[(\d+)\]/g, '〔$1〕')
    .replace(/\*\*|__|`/g, '')
    .replace(/^\|\s*|\s*\|$/g, '')
    .replace(/\s*\|\s*/g, ' / ')
    .trim();
}

/** Asking for the conditions; "需要什么材料" asks for the papers instead. */
const CONDITION_QUESTION = /条件|要求|要啥|想评|想申报|想报|want to (?:become|be|get|apply)|(?:要|需要)(?:什么|哪些)(?!材料|资料|证明|文件)|怎么才能|requirements?|conditions?|what do (i|you) need|who can|eligib|qualif/i;
/**
 * "护士晋升主管护师需要考试吗", "评职称要不要社保", "do I need a degree?": whether one thing is needed. Group 1 or
 * 2 is that thing; a sentence that does not name it answers another question, however many of the
 * question's other words (the title, the series) it holds.
 */
const NEEDS_QUESTION = /(?:需要|需不需要|要不要|必须|一定要)((?:(?!什么|哪|几|多少|怎么|如何)[^，。？?！!]){1,8}?)(?:吗|么|嘛|呢)?\s*[?？]?$|\b(?:do|does|did|would|will)\s+(?:[a-z]+\s+){1,3}?(?:need|have to|require)\s+(?:to\s+(?:take|pass|have|get|hold)\s+)?(?:(?:an?|the|any)\s+)?([a-z][a-z-]*(?: (?!(?:to|for|if|when|as|in|before|after|or|and|first)\b)[a-z][a-z-]*)?)/i;
/**
 * "什么时候施行", "when does it take effect?": when one thing happens. Group 1 or 2 is that thing; a sentence
 * that does not name it gives another date (when the rule was adopted, not when it applies).
 */
const WHEN_QUESTION = /(?:什么时候|何时|哪天|哪一天|几号|几月)(?:开始|起)?(施行|生效|实施|执行|截止|报名|申报|受理|公布|发证|公示)|\bwhen (?:does|did|will|do|is|was|are)\b.{1,60}?\b(take effect|come into (?:force|effect)|become effective|start|begin|open|close)\b/i;
/** Coming into force, in the words a question may use, and the words a document may use for it. */
const TAKES_EFFECT = /^(?:施行|生效|实施|执行|take effect|come into (?:force|effect)|become effective)$/i;
const TAKES_EFFECT_WORDS = '施行 生效 实施 执行 take effect effective in force';
/** How much a sentence naming the thing asked about gains (it leads the answer, see selectSentences). */
const NEEDED_THING_BONUS = 0.15;
/** "据考试类网站介绍（未经官方核实），…": the source a sentence cites is not what it says. */
const ATTRIBUTION = /^(?:据|根据)[^，,]{0,40}?(?:介绍|报道|说明|称|显示)(?:（[^）]*）)?[，,]|^according to [^,]{0,80},/i;

const DEFINITION_QUESTION = /是什么|什么是|啥是|是啥|指什么|什么意思|介绍一下|\bwhat(?: is|'s|s| are)\b|\bwhat does .* mean\b|\bexplain\b|\btell me about\b/i;

/**
 * Score every sentence of the top chunks: its own overlap with the question, its section heading's,
 * and how well its chunk ranked; a definition question favours a document's opening sentence.
 */
/** The levels a question can ask about one at a time (高级 alone, level-senior, covers two of them). */
const LEVEL_CONCEPTS = ['§level-clerk', '§level-assistant', '§level-intermediate', '§level-associate-senior', '§level-full-senior'];

/**
 * The concepts a question names and the more specific titles it does not (§concept terms): a sentence
 * that names one of those before the one asked about is about another title (高级工程师 for 工程师); and,
 * when the question names one level, the other levels.
 */
function titleFocus(query: string, index: KnowledgeIndex): { asked: Set<string>; narrower: Set<string>; otherLevels: Set<string> } {
  const ids = new Set(index.glossary.match(query).map((m) => m.conceptId));
  const narrower = new Set<string>();
  for (const id of ids) for (const n of index.glossary.narrowerThan(id)) if (!ids.has(n)) narrower.add(`§${n}`);
  const asked = new Set([...ids].map((id) => `§${id}`));
  // One level asked ("正高需要什么条件"): a sentence naming only another one is on another question.
  const levelsAsked = LEVEL_CONCEPTS.filter((l) => asked.has(l));
  const otherLevels = new Set(levelsAsked.length === 1 ? LEVEL_CONCEPTS.filter((l) => l !== levelsAsked[0]) : []);
  return { asked, narrower, otherLevels };
}

/** A sentence naming another level than the one asked, and not the one asked. */
function aboutOtherLevel(terms: Set<string>, focus: ReturnType<typeof titleFocus>): boolean {
  if (focus.otherLevels.size === 0) return false;
  let other = false;
  for (const t of terms) {
    if (focus.asked.has(t) && LEVEL_CONCEPTS.includes(t)) return false;
    if (focus.otherLevels.has(t)) other = true;
  }
  return other;
}

/**
 * Whether a sentence names a concept the question asks about, or one it is made of (any sentence does when
 * the question names none): a document's opening defines what the document is about, not what was asked.
 */
function namesAsked(terms: Set<string>, focus: ReturnType<typeof titleFocus>, index: KnowledgeIndex): boolean {
  if (focus.asked.size === 0) return true;
  for (const t of focus.asked) {
    if (terms.has(t)) return true;
    for (const part of index.glossary.parts(t.slice(1))) if (terms.has(`§${part}`)) return true;
  }
  return false;
}

function aboutNarrowerTitle(terms: Set<string>, focus: ReturnType<typeof titleFocus>): boolean {
  if (focus.narrower.size === 0) return false;
  // Concept terms follow the words in a term set, in the order the text names them.
  for (const t of terms) {
    if (focus.asked.has(t)) return false;
    if (focus.narrower.has(t)) return true;
  }
  return false;
}

function candidateSentences(chunks: RetrievedChunk[], query: Map<string, number>, rawQuery: string, index: KnowledgeIndex, focus: ReturnType<typeof titleFocus>, alreadySaid?: ComposeInput['alreadySaid'], onOtherSeries?: ComposeInput['onOtherSeries'], byDegree = true): Candidate[] {
  const followUpWords = alreadySaid ? [...termSet(alreadySaid.followUp, index)] : [];
  const answersFollowUp = (terms: Set<string>) => followUpWords.some((t) => terms.has(t));
  const wantsNumber = QUANTITY_QUESTION.test(rawQuery);
  const measure = MEASURE.exec(rawQuery);
  const unit = measure ? (measure[1] ?? (measure[3] ? '(?:year|month|day)' : measure[2].replace(/s$/, ''))) : undefined;
  const measured = unit ? new RegExp(`${NUMBER}[^，。,;；.]{0,8}?${unit}`, 'i') : undefined;
  const wantsDefinition = DEFINITION_QUESTION.test(rawQuery);
  const needs = NEEDS_QUESTION.exec(rawQuery.trim()) ?? WHEN_QUESTION.exec(rawQuery);
  // "需要考试才能评职称吗": the thing needed is 考试; what it is needed for is the rest.
  const thing = needs ? (needs[1] ?? needs[2]).replace(/(?:才能|才可以|才可|才行|就能|就可以).*$/, '') || undefined : undefined;
  // Coming into force is said in several words: a question in one is answered by a sentence in another.
  const neededThing = thing ? [...termSet(TAKES_EFFECT.test(thing) ? TAKES_EFFECT_WORDS : thing, index)] : [];
  const wantsConditions = CONDITION_QUESTION.test(rawQuery);
  // No place named: the national standard's own wording ("the intermediate engineering title") does not
  // outrank a Shanghai document on the same title (for 助理工程师 there is none).
  const outranked = (chunk: Chunk) => namesNoPlace(rawQuery) && isNationalStandardOnly(chunk.title) && hasShanghaiCounterpart(index, chunk, focus.asked);
  const topScore = Math.max(...chunks.map((c) => c.score), 1e-9);
  const out: Candidate[] = [];
  chunks.forEach((r, rank) => {
    const headingTerms = termSet(r.chunk.headingPath.join(' '), index);
    const headingOverlap = overlap(headingTerms, query);
    const opensDocument = r.chunk.id.endsWith('#0');
    const nationalOutranked = outranked(r.chunk);
    unitsOf(r.chunk.text).forEach((unit, position) => {
      const { quote, display, items } = unit;
      const terms = termSet(display, index);
      const shared = overlap(terms, query);
      // A sentence holding nothing of the question is only the neighbour of one that does.
      if (shared === 0) return;
      let score = 0.6 * shared + 0.25 * headingOverlap + 0.35 * (r.score / topScore);
      if (position === 0) score += 0.05;
      if (wantsDefinition && opensDocument && position === 0) score += 0.15;
      if (wantsNumber && /\d|[一二两三四五六七八九十]/.test(display)) score += 0.12;
      if (measured?.test(display)) score += 0.2;
      if (GAP_STATEMENT.test(quote)) score -= 0.1;
      if (nationalOutranked) score -= NATIONAL_STANDARD_PENALTY;
      // A sentence on 高级工程师 answers another question than one on 工程师, however many words they share.
      // So does one on another level only (副高级) when the conditions of one level are asked ("正高需要什么条件").
      if (aboutNarrowerTitle(terms, focus) || (wantsConditions && aboutOtherLevel(terms, focus))) score -= 0.15;
      if (onOtherSeries?.(display)) score -= 0.15;
      const carriesList = display.includes('\n');
      if (/[：:]$/.test(quote) && !carriesList) score -= 0.3;
      if (carriesList && wantsConditions) score += 0.15;
      if (display.length > 260) score -= 0.08;
      // Just said in the previous reply: "需要什么条件" after "直通车是什么" wants what was not said yet.
      if (alreadySaid?.quotes.has(quote) && !answersFollowUp(terms)) score -= SAID_BEFORE_PENALTY;
      // A row of a table, out of it, means something only when it holds what was asked ("Clerk / 技术员 / Technician"
      // does not, nor the 助理工程师 row for a question on 正高级工程师).
      if (TABLE_ROW.test(quote) && (!sharesWord(terms, query) || !namesAsked(terms, focus, index))) return;
      // The sentence itself, not the list it leads nor the source it cites.
      const own = display.split('\n')[0].replace(ATTRIBUTION, '');
      const said = neededThing.length === 0 ? terms : own === display ? terms : termSet(own, index);
      const namesNeeded = neededThing.length > 0 && neededThing.some((t) => said.has(t));
      if (namesNeeded) score += NEEDED_THING_BONUS;
      // A list with a line per degree, ranked as the whole list, shows the lines on the degree asked and takes
      // the room of those alone; one line is shown as that line's own sentence (without the list's lead-in).
      const narrowed = byDegree ? itemsOfDegree(unit, query, index) : undefined;
      const single = narrowed?.items.length === 1 ? unitsOf(r.chunk.text).find((u) => !u.items && u.display === narrowed.items[0]) : undefined;
      const shown = single ?? narrowed ?? unit;
      out.push({ chunk: r.chunk, rank, position, quote: shown.quote, display: shown.display, items: shown.items, terms, score, ...(namesNeeded ? { namesNeeded } : {}) });
    });
  });
  return out;
}

/**
 * Greedy selection (maximal marginal relevance): each pick is worth its own score, plus the part of
 * the question it answers that earlier picks did not, minus how much it repeats them.
 */
function selectSentences(candidates: Candidate[], query: Map<string, number>, budget: number, max: number): Candidate[] {
  const pool = [...candidates].sort((a, b) => b.score - a.score || a.rank - b.rank || a.position - b.position);
  const chosen: Candidate[] = [];
  const covered = new Set<string>();
  const total = [...query.values()].reduce((a, b) => a + b, 0) || 1;
  const novelty = (c: Candidate) => {
    let gain = 0;
    for (const [t, w] of query) if (c.terms.has(t) && !covered.has(t)) gain += w;
    return gain / total;
  };
  let used = 0;
  let firstValue = 0;
  // "需要考试吗": the answer leads with a sentence naming what was asked about, when one is worth showing at all.
  const floor = (pool[0]?.score ?? 0) * 0.3;
  const leadsNeeded = pool.some((c) => c.namesNeeded && c.score >= floor);
  while (pool.length && chosen.length < max) {
    let bestIndex = -1;
    let bestValue = -Infinity;
    pool.forEach((c, i) => {
      if (chosen.length === 0 && leadsNeeded && !c.namesNeeded) return;
      if (chosen.some((s) => s.display.includes(c.display) || c.display.includes(s.display))) return;
      // Redundancy: shared terms over the smaller set, so a sentence restating part of another counts.
      let redundancy = 0;
      for (const s of chosen) {
        const inter = sharedTerms(s.terms, c.terms);
        // Over the larger set, near 1 only when the two say the same: a repost's copy of a chosen sentence.
        if (inter / Math.max(s.terms.size, c.terms.size, 1) >= SAME_SENTENCE) return;
        redundancy = Math.max(redundancy, inter / Math.max(Math.min(s.terms.size, c.terms.size), 1));
      }
      const value = c.score + (chosen.length ? 0.35 * novelty(c) : 0) - 0.6 * redundancy;
      if (value > bestValue) {
        bestValue = value;
        bestIndex = i;
      }
    });
    if (bestIndex < 0) break;
    const next = pool.splice(bestIndex, 1)[0];
    if (chosen.length === 0) firstValue = bestValue;
    else if (bestValue < firstValue * 0.3) break;
    // Too long for what is left of the screen: a shorter sentence may still fit.
    else if (used + next.display.length > budget) continue;
    chosen.push(next);
    for (const t of next.terms) covered.add(t);
    used += next.display.length;
  }
  return chosen;
}

/** A word of the question (not only a concept of the glossary) in the sentence. */
function sharesWord(terms: Set<string>, query: Map<string, number>): boolean {
  for (const t of query.keys()) if (!t.startsWith('§') && terms.has(t)) return true;
  return false;
}

function sharedTerms(a: Set<string>, b: Set<string>): number {
  let inter = 0;
  for (const t of a) if (b.has(t)) inter++;
  return inter;
}
