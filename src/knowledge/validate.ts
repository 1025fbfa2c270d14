import { checkGlossary } from './glossary.js';
import type { LoadedCorpus } from './corpus.js';
import type { Problem } from './schema.js';

/** Cross-document checks on a loaded corpus; `today` is injected so the check is reproducible. */
export function validateCorpus(corpus: LoadedCorpus, today: string): Problem[] {
  const problems = [...corpus.problems];
  const byId = new Map<string, string>();
  for (const doc of corpus.docs) {
    const expectedFile = `${doc.id}.md`;
    if (!doc.file.endsWith(expectedFile)) problems.push({ file: doc.file, field: 'id', message: `"${doc.id}" should match the file name (${expectedFile})` });
    const first = byId.get(doc.id);
    if (first) problems.push({ file: doc.file, field: 'id', message: `duplicate id "${doc.id}" (also in ${first})` });
    else byId.set(doc.id, doc.file);
  }
  const langOf = new Map(corpus.docs.map((d) => [d.id, d.lang]));
  for (const doc of corpus.docs) {
    if (doc.translation_of !== undefined) {
      const targetLang = langOf.get(doc.translation_of);
      if (targetLang === undefined) problems.push({ file: doc.file, field: 'translation_of', message: `points to "${doc.translation_of}", which does not exist` });
      else if (targetLang === doc.lang) problems.push({ file: doc.file, field: 'translation_of', message: `points to "${doc.translation_of}", which is in the same language (${doc.lang})` });
      if (doc.translation_of === doc.id) problems.push({ file: doc.file, field: 'translation_of', message: 'a document cannot be its own translation' });
    }
    if (doc.effective_to !== undefined && doc.effective_to < today) {
      problems.push({ file: doc.file, field: 'effective_to', message: `${doc.effective_to} is in the past: the document has expired (extend it, or remove it from the seed)` });
    }
    if (doc.effective_from && doc.effective_to && doc.effective_from > doc.effective_to) {
      problems.push({ file: doc.file, field: 'effective_from', message: `${doc.effective_from} is after effective_to ${doc.effective_to}` });
    }
    if (corpus.seriesIds.size > 0) {
      for (const s of doc.series) {
        if (!corpus.seriesIds.has(s)) problems.push({ file: doc.file, field: 'series', message: `unknown series id "${s}" (see knowledge/series.json)` });
      }
    }
  }
  problems.push(...checkGlossary(corpus.glossary, (i) => corpus.glossaryFiles?.[i] ?? 'glossary/'));
  return problems;
}
