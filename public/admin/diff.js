// A line diff by longest common subsequence: enough for documents of a few thousand lines.
// The common head and tail are trimmed first, so a small edit in a long document stays cheap.

const MAX_CELLS = 16_000_000;

/**
 * Lines of `before` and `after` as operations: { op: ' ' | '-' | '+', text, a, b } where a and b
 * are 1-based line numbers in before and after (absent on the side a line is not in).
 */
export function diffLines(before, after) {
  const a = splitLines(before);
  const b = splitLines(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const out = [];
  for (let i = 0; i < head; i++) out.push({ op: ' ', text: a[i], a: i + 1, b: i + 1 });
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  for (const d of middle(am, bm)) {
    out.push({ op: d.op, text: d.text, ...(d.i !== undefined ? { a: head + d.i + 1 } : {}), ...(d.j !== undefined ? { b: head + d.j + 1 } : {}) });
  }
  for (let k = tail; k > 0; k--) out.push({ op: ' ', text: a[a.length - k], a: a.length - k + 1, b: b.length - k + 1 });
  return out;
}

function splitLines(text) {
  const s = String(text ?? '').replace(/\r\n?/g, '\n');
  if (s === '') return [];
  const lines = s.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function middle(a, b) {
  const n = a.length;
  const m = b.length;
  if (n === 0) return b.map((text, j) => ({ op: '+', text, j }));
  if (m === 0) return a.map((text, i) => ({ op: '-', text, i }));
  if ((n + 1) * (m + 1) > MAX_CELLS) return [...a.map((text, i) => ({ op: '-', text, i })), ...b.map((text, j) => ({ op: '+', text, j }))];
  // lcs[i][j]: length of the LCS of a[i..] and b[j..], in one flat array.
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', text: a[i], i, j });
      i++;
      j++;
    } else if (lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
      out.push({ op: '-', text: a[i], i });
      i++;
    } else {
      out.push({ op: '+', text: b[j], j });
      j++;
    }
  }
  while (i < n) out.push({ op: '-', text: a[i], i: i++ });
  while (j < m) out.push({ op: '+', text: b[j], j: j++ });
  return out;
}

/** How many lines were added and removed. */
export function diffStats(ops) {
  return { added: ops.filter((o) => o.op === '+').length, removed: ops.filter((o) => o.op === '-').length };
}

/**
 * The diff with long unchanged stretches folded: changed lines with `context` lines around them;
 * folded stretches become { op: '…', count }.
 */
export function foldContext(ops, context = 3) {
  const keep = new Array(ops.length).fill(false);
  ops.forEach((o, k) => {
    if (o.op !== ' ') for (let x = Math.max(0, k - context); x <= Math.min(ops.length - 1, k + context); x++) keep[x] = true;
  });
  const out = [];
  let folded = 0;
  ops.forEach((o, k) => {
    if (keep[k]) {
      if (folded) out.push({ op: '…', count: folded });
      folded = 0;
      out.push(o);
    } else folded++;
  });
  if (folded) out.push({ op: '…', count: folded });
  return out;
}
