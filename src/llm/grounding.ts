/** Numbers as they appear in text: 5, 2.5, 12333, 021-12333, 2025-12-31, 85%. Ordinals and list markers excluded. */
export function numbersIn(text: string): string[] {
  const withoutCitations = text.replace(/\[\d+\]/g, ' ');
  return [...withoutCitations.matchAll(/\d+(?:[.\-/:]\d+)*/g)].map((m) => m[0]);
}

export interface GroundingProblem {
  kind: 'unsupported_number' | 'unknown_citation' | 'no_citation';
  detail: string;
}

/**
 * Each number in a reply must appear in the evidence (retrieved chunks, tool results), and each [n]
 * must point at a source that was given. Returns the problems; empty means grounded.
 */
export function checkGrounding(reply: string, evidence: string[], citationNumbers: Set<number>, options: { requireCitation?: boolean } = {}): GroundingProblem[] {
  const problems: GroundingProblem[] = [];
  const haystack = evidence.join('\n');
  const digitsOnly = haystack.replace(/[^\d]/g, ' ');
  for (const n of new Set(numbersIn(reply))) {
    if (haystack.includes(n)) continue;
    // 2025-12-31 in a source may be written 2025年12月31日: compare the digit groups.
    const groups = n.split(/[.\-/:]/);
    if (groups.length > 1 && !n.includes('.') && groupsPresent(groups, digitsOnly)) continue;
    problems.push({ kind: 'unsupported_number', detail: n });
  }
  const cited = [...reply.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
  for (const c of new Set(cited)) if (!citationNumbers.has(c)) problems.push({ kind: 'unknown_citation', detail: `[${c}]` });
  if (options.requireCitation && cited.length === 0) problems.push({ kind: 'no_citation', detail: 'the reply cites no source' });
  return problems;
}

function groupsPresent(groups: string[], digitsOnly: string): boolean {
  const tokens = new Set(digitsOnly.split(/\s+/).filter(Boolean).map((t) => String(Number(t))));
  return groups.every((g) => tokens.has(String(Number(g))));
}
