import { describe, expect, it } from 'vitest';
import { worksElsewhere } from '../../src/mentor/intent.js';

// Working somewhere other than Shanghai brings in who may apply in Shanghai; a kind of employer or a field does not.
describe('working somewhere other than Shanghai', () => {
  it('is read from a place of work', () => {
    for (const t of ['我在深圳工作，可以在上海评职称吗', '我在杭州市上班', '我在苏州交社保', 'I work in Beijing, can I apply in Shanghai?', "I'm based in Shenzhen"]) expect(worksElsewhere(t), t).toBe(true);
  });

  it('is not read from Shanghai, an employer or a field', () => {
    for (const t of ['我在上海工作', '我在民营企业工作，可以评职称吗', '我在外企上班', '我在国企工作', '我在医院工作', 'I work in Shanghai', 'I work in engineering', 'I work in IT', 'I work in the private sector']) expect(worksElsewhere(t), t).toBe(false);
  });
});
