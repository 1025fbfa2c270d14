import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { openMentorService, type MentorService, type ServiceOptions } from '../../src/mentor/index.js';

/** A real mentor service on a fresh temporary DATA_DIR (its own index and SQLite file). */
export async function openTestService(env: Record<string, string> = {}, options: ServiceOptions = {}): Promise<MentorService & { dataDir: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-test-'));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env });
  const service = await openMentorService(config, { now: () => new Date('2026-11-25T10:00:00Z'), ...options });
  return Object.assign(service, { dataDir });
}

/** "a|b|c": any one alternative, case-insensitive. */
export function mentions(text: string, spec: string): boolean {
  const lower = text.toLowerCase();
  return spec.split('|').some((alt) => lower.includes(alt.trim().toLowerCase()));
}
