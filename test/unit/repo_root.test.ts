import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRepoRoot, REPO_ROOT } from '../../src/repo_root.js';

describe('findRepoRoot: the same answer from src/ and from its compiled copy in dist/src/', () => {
  it('is the nearest folder above with a package.json', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-root-'));
    fs.writeFileSync(path.join(root, 'package.json'), '{}');
    const src = path.join(root, 'src', 'knowledge');
    const compiled = path.join(root, 'dist', 'src', 'knowledge');
    fs.mkdirSync(src, { recursive: true });
    fs.mkdirSync(compiled, { recursive: true });
    expect(findRepoRoot(src)).toBe(root);
    expect(findRepoRoot(compiled)).toBe(root);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('says so when no folder above has one', () => {
    const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-bare-'));
    expect(() => findRepoRoot(bare)).toThrow(/no package.json above/);
    fs.rmSync(bare, { recursive: true, force: true });
  });

  it('finds this repository from src/', () => {
    expect(fs.existsSync(path.join(REPO_ROOT, 'knowledge', 'rules'))).toBe(true);
    expect(fs.existsSync(path.join(REPO_ROOT, 'prompts'))).toBe(true);
  });
});
