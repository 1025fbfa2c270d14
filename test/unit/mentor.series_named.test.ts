import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/config.js';
import { loadLexicon } from '../../src/mentor/lexicon.js';
import { onlySeriesNamed, seriesNamed, seriesNamedInSentence } from '../../src/mentor/series_named.js';

const lex = loadLexicon(path.join(REPO_ROOT, 'knowledge', 'slots.yaml'));

describe('the series a text names', () => {
  it('reads titles and series names in both languages', () => {
    expect(seriesNamed('高级工程师和中级会计师有什么不同', lex).sort()).toEqual(['accounting', 'engineering']);
    expect(onlySeriesNamed('What does a senior engineer need?', lex)).toBe('engineering');
    expect(onlySeriesNamed('高级工程师和中级会计师有什么不同', lex)).toBeUndefined();
    expect(onlySeriesNamed('职称怎么评', lex)).toBeUndefined();
  });

  it('remembers a sentence per lexicon, with the answer seriesNamed gives', () => {
    const sentence = '上海经济系列高级经济师的评审由市人社局组织。';
    const first = seriesNamedInSentence(sentence, lex);
    expect(first).toEqual(seriesNamed(sentence, lex));
    expect(seriesNamedInSentence(sentence, lex)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    // Another lexicon (a reload, say) is not answered from this one's memory.
    const other = loadLexicon(path.join(REPO_ROOT, 'knowledge', 'slots.yaml'));
    expect(seriesNamedInSentence(sentence, other)).not.toBe(first);
    expect(seriesNamedInSentence(sentence, other)).toEqual(first);
  });

  it('starts afresh past its limit instead of growing without end', () => {
    const lex = loadLexicon(path.join(REPO_ROOT, 'knowledge', 'slots.yaml'));
    const a = seriesNamedInSentence('会计师甲', lex, 2);
    seriesNamedInSentence('会计师乙', lex, 2);
    expect(seriesNamedInSentence('会计师甲', lex, 2)).toBe(a);
    seriesNamedInSentence('会计师丙', lex, 2); // the third: the memory is cleared first
    expect(seriesNamedInSentence('会计师甲', lex, 2)).not.toBe(a);
  });
});
