// Front matter for the document editor: split a stored document into its YAML block and body, and
// write the form back as Markdown. Lines the editor did not change are kept exactly as they were, so
// saving an untouched field never shows up in a diff; changed fields are written in a safe YAML subset.

/** The document fields, in the order a new document gets them. */
export const FIELDS = ['id', 'title', 'lang', 'translation_of', 'series', 'topics', 'scope', 'source_url', 'source_title', 'source_date', 'confidence', 'effective_from', 'effective_to'];
export const LIST_FIELDS = new Set(['series', 'topics']);

// The same pattern the server parses documents with (src/knowledge/corpus.ts).
const FRONT_MATTER = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

/** { yaml, body } of a stored document; yaml is '' when there is no front matter. */
export function splitDocument(markdown) {
  const m = FRONT_MATTER.exec(markdown ?? '');
  if (!m) return { yaml: '', body: markdown ?? '' };
  return { yaml: m[1], body: markdown.slice(m[0].length).replace(/^(?:[ \t]*\r?\n)+/, '') };
}

/** Top-level keys of a YAML block with their lines (a key line and the indented lines after it). */
export function yamlBlocks(yaml) {
  const blocks = [];
  let current = { key: null, lines: [] };
  for (const line of yaml ? yaml.split(/\r?\n/) : []) {
    const m = /^([A-Za-z_][\w-]*)\s*:/.exec(line);
    if (m) {
      if (current.key !== null || current.lines.length) blocks.push(current);
      current = { key: m[1], lines: [line] };
    } else current.lines.push(line);
  }
  if (current.key !== null || current.lines.length) blocks.push(current);
  return blocks;
}

/** "a, b，c" → ['a', 'b', 'c'] */
export function parseList(text) {
  return String(text ?? '')
    .split(/[,，、\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

const RESERVED = /^(?:true|false|yes|no|on|off|y|n|null|~)$/i;

/** A YAML scalar: plain when that is unambiguous, else a double-quoted (JSON) string. */
export function yamlScalar(value, inFlow = false) {
  const s = String(value);
  const plain = inFlow ? /^[\p{L}_][\p{L}\p{N}_.\/-]*$/u : /^[\p{L}_\u3000-\u303f\uff08\uff09][^:#\n\r\t"'`{}\[\]&*!|>%@]*$/u;
  if (plain.test(s) && s === s.trim() && !RESERVED.test(s)) return s;
  return JSON.stringify(s);
}

function yamlValue(field, value) {
  if (LIST_FIELDS.has(field)) return `[${value.map((v) => yamlScalar(v, true)).join(', ')}]`;
  return yamlScalar(value);
}

const isEmpty = (v) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

function same(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify((a ?? []).map(String)) === JSON.stringify((b ?? []).map(String));
  return String(a ?? '') === String(b ?? '');
}

/**
 * The Markdown for the form's values.
 * values: field → string (lists as arrays); original: { yaml, parsed } of the stored version (the
 * parsed front matter as the server reported it), or undefined for a new document.
 */
export function buildDocument(values, body, original) {
  const blocks = yamlBlocks(original?.yaml ?? '');
  const parsed = original?.parsed ?? {};
  const out = [];
  const seen = new Set();
  const emit = (field, block) => {
    const value = values[field];
    if (isEmpty(value)) return;
    // A default the server filled in (scope: titles, series: []) is not written where it was not before.
    if (!block && original && same(value, parsed[field])) return;
    if (block && same(value, parsed[field])) out.push(...block.lines);
    else out.push(`${field}: ${yamlValue(field, value)}`);
  };
  for (const block of blocks) {
    if (block.key === null || !FIELDS.includes(block.key)) {
      // Comments, and keys the form does not know (the server reports those), stay as they were.
      out.push(...block.lines);
      continue;
    }
    seen.add(block.key);
    emit(block.key, block);
  }
  for (const field of FIELDS) if (!seen.has(field)) emit(field);
  const text = String(body ?? '').replace(/\r\n?/g, '\n');
  return `---\n${out.join('\n')}\n---\n\n${text.endsWith('\n') ? text : `${text}\n`}`;
}
