import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, REPO_ROOT } from '../../src/config.js';

// README: ".env.example lists them all". Every setting the configuration reads is there, with a value it accepts.
describe('.env.example', () => {
  const text = fs.readFileSync(path.join(REPO_ROOT, '.env.example'), 'utf8');
  const listed = new Map([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));

  it('names every variable the configuration reads', () => {
    const source = fs.readFileSync(path.join(REPO_ROOT, 'src', 'config.ts'), 'utf8');
    const schema = source.slice(source.indexOf('const ConfigSchema'), source.indexOf('});', source.indexOf('const ConfigSchema')));
    const read = [...schema.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
    expect(read.length).toBeGreaterThan(30);
    expect(read.filter((k) => !listed.has(k))).toEqual([]);
  });

  it('holds values the configuration accepts', () => {
    const env = Object.fromEntries([...listed].filter(([k]) => k !== 'TM_PORTABLE_NATIVE'));
    expect(() => loadConfig(env)).not.toThrow();
  });
});
