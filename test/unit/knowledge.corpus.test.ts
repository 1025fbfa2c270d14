import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCorpus, parseDoc, validateCorpus, type Problem } from '../../src/knowledge/index.js';
import { BROKEN_DIR, FIXTURE_TODAY, loadFixtureCorpus } from '../fixtures/knowledge/fixtures.js';

// The broken fixture has one problem per file; `today` is after expired.zh's effective_to (2020-12-31).
const TODAY = '2024-06-01';
const problems = validateCorpus(loadCorpus(BROKEN_DIR), TODAY);
const problemsIn = (file: string): Array<Pick<Problem, 'field'> & { message: string }> =>
  problems.filter((p) => p.file === file).map(({ field, message }) => ({ field, message }));

describe('corpus validation: each problem names its file and field', () => {
  it('a missing title', () => {
    expect(problemsIn('docs/missing-title.zh.md')).toEqual([{ field: 'title', message: expect.any(String) }]);
  });

  it('a language other than zh or en', () => {
    expect(problemsIn('docs/bad-lang.zh.md')).toEqual([{ field: 'lang', message: expect.stringContaining('zh') }]);
  });

  it('an unknown front-matter key, named as the field', () => {
    expect(problemsIn('docs/unknown-key.zh.md')).toEqual([{ field: 'colour', message: expect.stringContaining('colour') }]);
  });

  it('a date that is not on the calendar (2024-02-30)', () => {
    expect(problemsIn('docs/bad-date.zh.md')).toEqual([{ field: 'effective_from', message: 'is not a real calendar date' }]);
  });

  it('front matter that is not YAML', () => {
    expect(problemsIn('docs/invalid-yaml.zh.md')).toEqual([{ field: 'front matter', message: expect.stringMatching(/^is not valid YAML/) }]);
  });

  it('a duplicate id, reported on the second file with the first one named', () => {
    expect(problemsIn('docs/a/duplicate.zh.md')).toEqual([]);
    expect(problemsIn('docs/b/duplicate.zh.md')).toEqual([{ field: 'id', message: expect.stringContaining('docs/a/duplicate.zh.md') }]);
  });

  it('a translation_of that points nowhere', () => {
    expect(problemsIn('docs/dangling.en.md')).toEqual([{ field: 'translation_of', message: expect.stringContaining('does not exist') }]);
  });

  it('a translation_of that points to a document in the same language', () => {
    expect(problemsIn('docs/same-lang.en.md')).toEqual([{ field: 'translation_of', message: expect.stringContaining('same language') }]);
  });

  it('an effective_to in the past', () => {
    expect(problemsIn('docs/expired.zh.md')).toEqual([{ field: 'effective_to', message: expect.stringContaining('2020-12-31 is in the past') }]);
  });

  it('an unknown series id, and only that one', () => {
    expect(problemsIn('docs/unknown-series.zh.md')).toEqual([{ field: 'series', message: expect.stringContaining('"astrology"') }]);
  });

  it('a glossary term claimed by two concepts, in the glossary file that holds it', () => {
    expect(problemsIn('glossary/terms.yaml')).toEqual([{ field: 'senior-worker.colloquial', message: expect.stringContaining('"高工" is also listed under "senior-engineer"') }]);
  });

  it('a glossary file that is not YAML', () => {
    expect(problemsIn('glossary/unclosed.yaml')).toEqual([{ field: '-', message: expect.stringMatching(/^is not valid YAML/) }]);
  });

  it('valid documents raise nothing, and nothing else is reported', () => {
    expect(problemsIn('docs/ok.zh.md')).toEqual([]);
    expect(problemsIn('docs/target.en.md')).toEqual([]);
    expect(problems).toHaveLength(12);
  });

  it('the expiry check follows the injected today', () => {
    const before = validateCorpus(loadCorpus(BROKEN_DIR), '2020-06-01');
    expect(before.filter((p) => p.field === 'effective_to')).toEqual([]);
  });

  it('the retrieval fixture corpus itself is valid', () => {
    expect(validateCorpus(loadFixtureCorpus(), FIXTURE_TODAY)).toEqual([]);
  });
});

describe('parseDoc dates', () => {
  const withDate = (d: string) => parseDoc(`---\nid: d.zh\ntitle: 日期\nlang: zh\neffective_from: ${d}\n---\n\n正文。`, 'docs/d.zh.md');

  it.each(['2024-02-29', '2023-12-31', '"2025-01-01"'])('accepts %s', (d) => {
    expect(withDate(d).problems).toEqual([]);
    expect(withDate(d).doc?.effective_from).toBe(d.replace(/"/g, ''));
  });

  it.each(['2023-02-29', '2024-04-31', '2024-13-01', '2024-00-10'])('rejects %s as not on the calendar', (d) => {
    expect(withDate(d).problems).toEqual([{ file: 'docs/d.zh.md', field: 'effective_from', message: 'is not a real calendar date' }]);
  });

  it('rejects a date in another format', () => {
    expect(withDate('2024/01/01').problems.map((p) => [p.field, p.message])).toContainEqual(['effective_from', 'must be a date written YYYY-MM-DD']);
  });

  it('a file without front matter is one problem, not an exception', () => {
    expect(parseDoc('# just markdown', 'docs/x.md').problems).toEqual([{ file: 'docs/x.md', field: 'front matter', message: expect.stringContaining('missing') }]);
  });
});

describe('the shipped corpus', () => {
  // A reply quotes single sentences and puts the best one first: a sentence that leans on the one before it
  // ("据同一页面…", "According to the same summary…") would then name a source the reader never saw.
  // Nor one that counts itself among others ("Third, …", "第三种：…"): alone, the count means nothing.
  const LEANS_ON_EARLIER = /^(?:[-*]\s+)?(?:(?:据|根据|按照?)同一|同一家|(?:according to|under) the same\b|the same (?:page|site|website|summary|list|repost|source)\b|(?:first|second|third|fourth|fifth|next|finally|lastly),|第[一二三四五六七八九十]+(?:种|类|条|项|点)?[：:，,]|其[一二三四五][，,：:]|(?:首先|其次|再次|最后)[，,])/i;
  // Nor one that points at what follows without holding it (a lead-in or an inline list has a colon).
  const LEANS_ON_NEXT = /^(?:下面|以下|下列|below\b|series by series, below)(?!.*[：:])/i;
  const { docs } = loadCorpus(path.join(import.meta.dirname, '..', '..', 'knowledge'));

  it('has documents to check', () => {
    expect(docs.length).toBeGreaterThan(50);
  });

  it('has no sentence that opens by pointing back at the one before it', () => {
    const leaning = docs.flatMap((d) => d.body.split('\n').flatMap((line) => line.split(/(?<=[。！？])|(?<=[.!?])\s+(?=[A-Z])/)).map((s) => s.trim()).filter((s) => LEANS_ON_EARLIER.test(s) || LEANS_ON_NEXT.test(s)).map((s) => `${d.id}: ${s.slice(0, 60)}`));
    expect(leaning).toEqual([]);
  });
});
