import type { CorpusDoc } from './schema.js';

export interface Chunk {
  /** `<docId>#<n>`, stable for the same document text. */
  id: string;
  docId: string;
  title: string;
  lang: CorpusDoc['lang'];
  scope: CorpusDoc['scope'];
  series: string[];
  topics: string[];
  headingPath: string[];
  text: string;
  url?: string;
  sourceTitle?: string;
  sourceDate?: string;
  confidence?: CorpusDoc['confidence'];
  effectiveFrom?: string;
  effectiveTo?: string;
  translationOf?: string;
}

export interface ChunkOptions {
  /** Soft ceiling in characters; a block longer than this is split at sentence ends. */
  maxChars: number;
}

const DEFAULT_OPTIONS: ChunkOptions = { maxChars: 700 };

/** Sections kept for staff but not retrieved: the source list. */
const SKIPPED_SECTIONS = /^(来源|参考来源|sources?|references?)$/i;

interface Section {
  headingPath: string[];
  blocks: string[];
}

/**
 * Split a document along its structure: a section per heading, and inside it blocks that stay whole
 * where they fit (paragraphs, whole lists, tables, 第X条 articles).
 */
export function chunkDocument(doc: CorpusDoc, options: Partial<ChunkOptions> = {}): Chunk[] {
  const { maxChars } = { ...DEFAULT_OPTIONS, ...options };
  const chunks: Chunk[] = [];
  for (const section of splitSections(doc.body)) {
    if (section.headingPath.some((h) => SKIPPED_SECTIONS.test(h))) continue;
    for (const text of packBlocks(section.blocks, maxChars)) {
      chunks.push({
        id: `${doc.id}#${chunks.length}`,
        docId: doc.id,
        title: doc.title,
        lang: doc.lang,
        scope: doc.scope,
        series: doc.series,
        topics: doc.topics,
        headingPath: section.headingPath,
        text,
        url: doc.source_url,
        sourceTitle: doc.source_title,
        sourceDate: doc.source_date,
        confidence: doc.confidence,
        effectiveFrom: doc.effective_from,
        effectiveTo: doc.effective_to,
        translationOf: doc.translation_of,
      });
    }
  }
  return chunks;
}

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const ARTICLE = /^\s*(第[一二三四五六七八九十百零〇\d]+条)/;
const LIST_ITEM = /^\s*(?:[-*+]|\d+[.)、])\s+/;
const TABLE_ROW = /^\s*\|/;

export function splitSections(body: string): Section[] {
  const sections: Section[] = [];
  const path: string[] = [];
  let current: Section = { headingPath: [], blocks: [] };
  let block: string[] = [];
  let blockKind: 'para' | 'list' | 'table' | 'article' | undefined;

  const flushBlock = () => {
    const text = block.join('\n').trim();
    if (text) current.blocks.push(text);
    block = [];
    blockKind = undefined;
  };
  const flushSection = () => {
    flushBlock();
    if (current.blocks.length) sections.push({ ...current, blocks: joinLeadIns(current.blocks) });
  };

  for (const line of body.split(/\r?\n/)) {
    const heading = HEADING.exec(line);
    if (heading) {
      flushSection();
      const level = heading[1].length;
      path.length = Math.max(0, level - 1);
      path[level - 1] = heading[2];
      current = { headingPath: path.filter(Boolean), blocks: [] };
      continue;
    }
    if (!line.trim()) {
      // A blank line ends a paragraph, but list items and articles may be separated by blank lines.
      if (blockKind === 'para' || blockKind === 'table') flushBlock();
      continue;
    }
    // Inside an article, its lists and tables belong to it: an article ends only at the next one or a heading.
    const kind = ARTICLE.test(line) || blockKind === 'article' ? 'article' : TABLE_ROW.test(line) ? 'table' : LIST_ITEM.test(line) ? 'list' : blockKind === 'list' && /^\s{2,}/.test(line) ? 'list' : 'para';
    if (kind === 'article' && ARTICLE.test(line)) flushBlock();
    else if (blockKind !== undefined && kind !== blockKind) flushBlock();
    block.push(line);
    blockKind = kind;
  }
  flushSection();
  return sections;
}

/** A paragraph that ends in a colon introduces the list or table after it: they stay together. */
function joinLeadIns(blocks: string[]): string[] {
  const out: string[] = [];
  for (const block of blocks) {
    const previous = out[out.length - 1];
    if (previous !== undefined && /[：:]\s*$/.test(previous) && /^\s*(?:[-*+]|\d+[.)、]|\|)/.test(block)) out[out.length - 1] = `${previous}\n${block}`;
    else out.push(block);
  }
  return out;
}

/** Greedily pack whole blocks into chunks of at most maxChars; only an oversized block is cut. */
function packBlocks(blocks: string[], maxChars: number): string[] {
  const out: string[] = [];
  let current = '';
  // A lead-in with its list may run to twice the ceiling before it is cut: the list is the answer.
  const limit = (b: string) => (/[：:]\s*\n/.test(b) ? maxChars * 2 : maxChars);
  for (const block of blocks.flatMap((b) => (b.length > limit(b) ? splitLongBlock(b, maxChars) : [b]))) {
    if (current && current.length + block.length + 2 > Math.max(maxChars, block.length)) {
      out.push(current);
      current = '';
    }
    current = current ? `${current}\n\n${block}` : block;
  }
  if (current) out.push(current);
  return out;
}

/** Split an oversized block at line ends first (list items, table rows), then at sentence ends. */
function splitLongBlock(block: string, maxChars: number): string[] {
  const lines = block.split('\n');
  const units = lines.length > 1 ? lines : splitSentences(block);
  const out: string[] = [];
  let current = '';
  for (const unit of units) {
    if (current && current.length + unit.length + 1 > maxChars) {
      out.push(current);
      current = '';
    }
    // Chinese sentences follow each other without a space; English ones take one.
    current = current ? `${current}${lines.length > 1 ? '\n' : /[。！？]$/.test(current) ? '' : ' '}${unit}` : unit;
  }
  if (current) out.push(current);
  return out;
}

/** Sentence ends in both languages; keeps the terminator with its sentence. */
export function splitSentences(text: string): string[] {
  return text
    .replace(/([。！？!?])\s*/g, '$1\u0000')
    .replace(/(?<!\b(?:e\.g|i\.e|No|no|vs|etc|Dr|Mr|Ms|approx))\.\s+(?=[A-Z0-9"“(\[*])/g, '.\u0000')
    .split(/\u0000|\n+/)
    .map((s) => s.trim())
    .filter(Boolean);
}
