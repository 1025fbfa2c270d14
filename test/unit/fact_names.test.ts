import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { REPO_ROOT } from '../../src/config.js';
import { FACT_NAMES, FactsSchema } from '../../src/eligibility/index.js';
import { loadPrompts } from '../../src/llm/prompts.js';

/** Every leaf of the facts: what a correction ("I got it in 2021, not 2019") can name as changed. */
function leafPaths(schema: Record<string, unknown>, prefix = ''): string[] {
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  return Object.entries(properties).flatMap(([key, sub]) => (sub.type === 'object' && sub.properties ? leafPaths(sub, `${prefix}${key}.`) : [`${prefix}${key}`]));
}

describe('fact names', () => {
  it('every fact a user can correct has a name in both languages (never the raw path in a reply)', () => {
    const templates = loadPrompts(path.join(REPO_ROOT, 'prompts')).templates;
    const paths = leafPaths(z.toJSONSchema(FactsSchema, { io: 'input' }) as Record<string, unknown>);
    expect(paths).toContain('currentTitle.obtained');
    const unnamed = paths.filter((p) => !(templates.fact_names[p] ?? FACT_NAMES[p])?.zh || !(templates.fact_names[p] ?? FACT_NAMES[p])?.en);
    expect(unnamed).toEqual([]);
  });
});
