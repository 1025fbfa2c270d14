import { describe, expect, it } from 'vitest';
import { addSegmenterWords, isCjk, normalizeText, tokenize } from '../../src/knowledge/index.js';

describe('tokenize (mixed zh/en)', () => {
  it('cuts Chinese into jieba search-mode words and drops stop words', () => {
    expect(tokenize('申报中级职称需要什么条件？')).toEqual(['申报', '中级', '职称', '中级职称', '需要', '条件']);
  });

  it('drops spoken fillers, which would count as what a question asks that no document holds', () => {
    const words = tokenize('职称到底是个啥？跟职务是一回事吗');
    expect(words).toEqual(expect.arrayContaining(['职称', '职务']));
    for (const filler of ['到底', '啥', '跟', '一', '回事']) expect(words).not.toContain(filler);
  });

  it('stems English words and drops English stop words', () => {
    expect(tokenize('Applying for the Senior Engineer title: requirements and 3 years of experience')).toEqual([
      'appli',
      'senior',
      'engin',
      'titl',
      'requir',
      '3',
      'year',
      'experi',
    ]);
  });

  it('gives British and American spellings one term (the corpus writes "recognised", a question may say "recognized")', () => {
    for (const [british, american] of [['recognised', 'recognized'], ['organisations', 'organizations'], ['catalogue', 'catalog'], ['centre', 'center'], ['labour', 'labor'], ['analyse', 'analyze'], ['licence', 'license'], ['programme', 'program']]) {
      expect(tokenize(british), british).toEqual(tokenize(american));
    }
    // Short words that only look British keep apart: "four" is not "for" (a stop word), "hours" not "hors".
    expect(tokenize('four hours')).toEqual(['four', 'hour']);
    expect(tokenize('raise')).not.toEqual(tokenize('raze'));
  });

  it('handles both languages in one sentence, keeping numbers', () => {
    const tokens = tokenize('我想申报高级工程师职称，需要满足哪些requirements? The engineers had 3.5 years, 12333 热线 2024年');
    expect(tokens).toEqual(expect.arrayContaining(['申报', '工程师', '职称', '热线', 'requir', 'engin', 'year', '3.5', '12333', '2024']));
    for (const stop of ['我', '想', '哪些', 'the', 'had', '，', '?', ' ']) expect(tokens).not.toContain(stop);
    // The same English word stems the same way wherever it appears.
    expect(tokenize('engineers')).toEqual(tokenize('engineering'));
  });

  it('folds full-width characters and case before cutting', () => {
    expect(normalizeText('ＣＰＡ　证书  ３年')).toBe('cpa 证书 3年');
    expect(tokenize('我有３年工作经验，ＣＰＡ证书')).toEqual(['3', '年', '工作', '经验', 'cpa', '证书']);
  });

  it('a question made only of stop words has no terms', () => {
    expect(tokenize('请问 what is the 是什么呢？')).toEqual([]);
  });

  it('keeps glossary words whole once the segmenter has learnt them', () => {
    expect(tokenize('居住证积分')).not.toContain('居住证积分');
    addSegmenterWords(['居住证积分']);
    expect(tokenize('居住证积分')).toContain('居住证积分');
  });

  it('isCjk tells Chinese from Latin text', () => {
    expect(isCjk('职称')).toBe(true);
    expect(isCjk('title')).toBe(false);
  });
});
