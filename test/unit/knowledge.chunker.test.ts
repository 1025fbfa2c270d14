import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chunkDocument, parseDoc, type Chunk, type CorpusDoc } from '../../src/knowledge/index.js';
import { CHUNKING_DOC } from '../fixtures/knowledge/fixtures.js';

const source = fs.readFileSync(CHUNKING_DOC, 'utf8');
const parsed = parseDoc(source, 'docs/structure.zh.md');
const doc = parsed.doc as CorpusDoc;

const ARTICLE_2 = [
  '第二条 申报高级工程师，应当同时具备下列条件：',
  '- （一）遵守中华人民共和国宪法和法律法规，具有良好的职业道德；',
  '- （二）取得工程师职称后，从事本专业技术工作满五年；',
  '- （三）按规定完成继续教育，每年不少于九十学时。',
];
const LIST = ['- 申报表一式两份', '- 学历和学位证书', '- 工程师职称证书'];
const TABLE = ['| 材料 | 份数 | 说明 |', '|---|---|---|', '| 申报表 | 2 | 单位盖章 |', '| 学历证书 | 1 | 复印件 |', '| 业绩证明 | 1 | 近五年 |'];
const LONG_PARAGRAPH = source.split('\n').find((l) => l.startsWith('评审委员会由本专业领域的专家组成'))!;

/** The chunks containing a line, so "stays whole" means: every line of the block is in one and the same chunk. */
const chunksWith = (chunks: Chunk[], line: string) => chunks.filter((c) => c.text.includes(line)).map((c) => c.id);
function expectTogether(chunks: Chunk[], lines: string[]): void {
  const homes = new Set(lines.flatMap((l) => chunksWith(chunks, l)));
  expect([...homes], `lines spread over ${[...homes].join(', ')}`).toHaveLength(1);
  for (const l of lines) expect(chunksWith(chunks, l)).toHaveLength(1);
}

describe('chunkDocument', () => {
  it('the fixture parses cleanly', () => {
    expect(parsed.problems).toEqual([]);
  });

  it('gives each chunk the path of headings above it', () => {
    const chunks = chunkDocument(doc);
    const pathOf = (line: string) => chunks.find((c) => c.text.includes(line))?.headingPath;
    expect(pathOf('第一条')).toEqual(['高级工程师评审办法', '第一章 总则']);
    expect(pathOf('| 申报表 | 2 |')).toEqual(['高级工程师评审办法', '申报材料']);
    expect(pathOf('网上申报平台')).toEqual(['高级工程师评审办法', '申报材料', '提交方式']);
    // A deeper heading does not leak into the next sibling section.
    expect(pathOf('评审委员会由本专业领域')).toEqual(['高级工程师评审办法', '长段落']);
  });

  it('does not index the 来源 (sources) section', () => {
    const chunks = chunkDocument(doc);
    expect(chunks.some((c) => c.text.includes('不应被检索'))).toBe(false);
    expect(chunks.some((c) => c.headingPath.includes('来源'))).toBe(false);
  });

  it('does not index an English Sources section either', () => {
    const en: CorpusDoc = { ...doc, id: 'structure.en', lang: 'en', body: '# Guide\n\nKeep this.\n\n## Sources\n\n- https://example.org/not-indexed\n\n### Notes on sources\n\nAlso not indexed.' };
    expect(chunkDocument(en).map((c) => c.text)).toEqual(['Keep this.']);
  });

  it.each([700, 200, 150, 120])('keeps a list whole when it fits (maxChars %i), even with a blank line between items', (maxChars) => {
    const chunks = chunkDocument(doc, { maxChars });
    expectTogether(chunks, LIST);
    expect(chunks.find((c) => c.text.includes(LIST[0]))!.text).toContain(LIST.join('\n'));
  });

  it.each([700, 200, 150, 120])('keeps a table whole when it fits (maxChars %i)', (maxChars) => {
    const chunks = chunkDocument(doc, { maxChars });
    expectTogether(chunks, TABLE);
    expect(chunks.find((c) => c.text.includes(TABLE[0]))!.text).toContain(TABLE.join('\n'));
  });

  it.each([700, 200, 150, 120])('never splits a 第X条 article, its list included (maxChars %i)', (maxChars) => {
    const chunks = chunkDocument(doc, { maxChars });
    expectTogether(chunks, ARTICLE_2);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(maxChars);
  });

  it('starts a new chunk at an article rather than cutting one, when only part of it would fit', () => {
    const chunks = chunkDocument(doc, { maxChars: 150 });
    const home = chunks.find((c) => c.text.includes(ARTICLE_2[0]))!;
    expect(home.text.startsWith('第二条')).toBe(true);
  });

  it('splits an oversized paragraph at sentence ends, losing nothing', () => {
    const maxChars = 100;
    expect(LONG_PARAGRAPH.length).toBeGreaterThan(maxChars);
    const pieces = chunkDocument(doc, { maxChars }).filter((c) => c.headingPath.at(-1) === '长段落');
    expect(pieces.length).toBeGreaterThan(1);
    for (const p of pieces) {
      expect(p.text.length).toBeLessThanOrEqual(maxChars);
      expect(p.text).toMatch(/。$/);
    }
    expect(pieces.map((p) => p.text).join('')).toBe(LONG_PARAGRAPH);
  });

  it('splits an oversized English paragraph between sentences', () => {
    const sentences = Array.from({ length: 12 }, (_, i) => `Sentence number ${i + 1} explains one rule of the senior engineer review.`);
    const en: CorpusDoc = { ...doc, id: 'long.en', lang: 'en', body: `# Long\n\n${sentences.join(' ')}` };
    const pieces = chunkDocument(en, { maxChars: 200 });
    expect(pieces.length).toBeGreaterThan(1);
    for (const p of pieces) expect(p.text).toMatch(/^Sentence number \d+ .*review\.$/);
    expect(pieces.map((p) => p.text).join(' ')).toBe(sentences.join(' '));
  });

  it('gives stable ids: the same text gives the same chunks, and a later edit keeps earlier ids', () => {
    const first = chunkDocument(doc, { maxChars: 150 });
    const again = chunkDocument(parseDoc(source, 'docs/structure.zh.md').doc!, { maxChars: 150 });
    expect(again).toEqual(first);
    expect(first.map((c) => c.id)).toEqual(first.map((_, i) => `structure.zh#${i}`));

    const edited = chunkDocument({ ...doc, body: doc.body.replace('不接受纸质材料。', '不接受纸质材料，也不接受邮件。') }, { maxChars: 150 });
    const at = first.findIndex((c) => c.text.includes('网上申报平台'));
    expect(edited.slice(0, at)).toEqual(first.slice(0, at));
    expect(edited.map((c) => c.id)).toEqual(first.map((c) => c.id));
  });

  it('carries the document metadata on each chunk', () => {
    const [c] = chunkDocument(doc);
    expect(c).toMatchObject({ docId: 'structure.zh', title: doc.title, lang: 'zh', scope: 'titles', series: ['engineering'] });
  });
});
