/**
 * Text as a reader sees it, for matching only: HTML entities ("30&nbsp;Birch&#32;Walk"), markup
 * ("30 <b>Birch</b> Walk"), percent-encoding ("30%20Birch%20Walk") and backslash escapes
 * ("30\\u0020Birch", a literal "\n") are decoded, twice over for double encodings ("&amp;nbsp;",
 * "%2520"); letters and digits outside the Basic Multilingual Plane (mathematical bold, script,
 * double-struck) become the ones they show. Every decoded character keeps the range of the
 * original text it came from, so a span found in the decoded text replaces exactly the original
 * characters behind it.
 */

const NAMED: Record<string, string> = {
  nbsp: ' ', ensp: ' ', emsp: ' ', thinsp: ' ', hairsp: ' ', numsp: ' ', puncsp: ' ', mediumspace: ' ', tab: ' ', newline: ' ',
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", rsquo: "'", lsquo: "'", shy: '\u00AD', zwj: '', zwnj: '', wj: '',
  ndash: '-', mdash: '-', hyphen: '-', dash: '-', minus: '-', comma: ',', period: '.', colon: ':', semi: ';', sol: '/',
  bsol: '\\', num: '#', lpar: '(', rpar: ')', commat: '@', percnt: '%', plus: '+', equals: '=', excl: '!', quest: '?',
  lowbar: '_', ast: '*', verbar: '|', middot: '.', bull: '.', hellip: '...', deg: '\u00B0', prime: "'", Prime: '"',
};

/** Anything the decoder would change. */
const HINT = /[&%\\<\uD800-\uDBFF]/;
const PIECE = /&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?|(?:%[0-9A-Fa-f]{2})+|\\(u[0-9A-Fa-f]{4}|u\{[0-9A-Fa-f]{1,6}\}|x[0-9A-Fa-f]{2}|[nrtfv\\/"'])|<\/?[A-Za-z][A-Za-z0-9]{0,15}(?:\s[^<>]{0,200})?\/?>|[\uD800-\uDBFF][\uDC00-\uDFFF]/g;
const BLOCK_TAG = /^<\/?(br|p|div|li|ul|ol|tr|td|th|table|h[1-6]|hr|blockquote|pre|section|article|header|footer)\b/i;
const ALNUM = /[\p{L}\p{N}]/u;

export interface Decoded {
  readonly text: string;
  /** Original offset where decoded character i starts, and where it ends. */
  readonly from: number[];
  readonly to: number[];
}

function decodePiece(m: string, g1: string | undefined, g2: string | undefined, before: string, after: string): string | undefined {
  if (m.charCodeAt(0) === 38) {
    // &…;
    if (g1!.charCodeAt(0) === 35) {
      const cp = g1![1] === 'x' || g1![1] === 'X' ? Number.parseInt(g1!.slice(2), 16) : Number.parseInt(g1!.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : ' ';
    }
    const v = NAMED[g1!] ?? NAMED[g1!.toLowerCase()];
    return v;
  }
  if (m.charCodeAt(0) === 37) {
    // %XX…: UTF-8 bytes; what does not decode stays as it was.
    const bytes = new Uint8Array(m.length / 3);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(m.slice(3 * i + 1, 3 * i + 3), 16);
    return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  }
  if (m.charCodeAt(0) === 92) {
    const e = g2!;
    if (e[0] === 'u') {
      const hex = e[1] === '{' ? e.slice(2, -1) : e.slice(1);
      const cp = Number.parseInt(hex, 16);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : ' ';
    }
    if (e[0] === 'x') return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    if (e === 'n' || e === 'r' || e === 't' || e === 'f' || e === 'v') return ' ';
    return e;
  }
  if (m.length === 2) {
    // A letter or digit outside the Basic Multilingual Plane: mathematical bold, script and
    // double-struck letters read as the letters they show ("\u{1D401}irch" is Birch).
    const f = m.normalize('NFKD').replace(/\p{M}/gu, '');
    return f.length === 1 && ALNUM.test(f) ? f : undefined;
  }
  // A tag: a line or block break is a space; an inline tag inside a word joins it ("Bir<b>ch").
  if (BLOCK_TAG.test(m)) return ' ';
  return ALNUM.test(before) && ALNUM.test(after) ? '' : ' ';
}

function once(text: string): Decoded | undefined {
  if (!HINT.test(text)) return undefined;
  let out = '';
  const from: number[] = [];
  const to: number[] = [];
  let pos = 0;
  let changed = false;
  PIECE.lastIndex = 0;
  for (let m = PIECE.exec(text); m; m = PIECE.exec(text)) {
    const s = m.index;
    const e = s + m[0].length;
    const d = decodePiece(m[0], m[1], m[2], text.charAt(s - 1), text.charAt(e));
    if (d === undefined) continue;
    for (let i = pos; i < s; i++) { out += text[i]; from.push(i); to.push(i + 1); }
    for (let i = 0; i < d.length; i++) { out += d[i]; from.push(s); to.push(e); }
    pos = e;
    changed = true;
  }
  if (!changed) return undefined;
  for (let i = pos; i < text.length; i++) { out += text[i]; from.push(i); to.push(i + 1); }
  return { text: out, from, to };
}

/** The decoded text with its offset map, or undefined when decoding changes nothing. */
export function decodeForMatching(text: string): Decoded | undefined {
  const a = once(text);
  if (!a) return undefined;
  const b = once(a.text);
  if (!b) return a;
  // Compose: b's offsets point into a.text, a's into the original.
  return { text: b.text, from: b.from.map((i) => a.from[i] ?? text.length), to: b.to.map((i) => a.to[i - 1] ?? text.length) };
}
