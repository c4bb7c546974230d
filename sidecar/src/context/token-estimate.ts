/**
 * Estimates how many tokens a text costs a model, as o200k_base (GPT-4o's tokenizer, a fair
 * stand-in for other current ones) would count them, without a tokenizer table: an o200k table is
 * tens of MB, more than the sidecar's whole heap. One pass over the UTF-16 code units splits the
 * text as o200k's pre-tokenizer does (a word with at most one leading non-letter, camelCase humps
 * apart, 1–3 digits, a punctuation run, whitespace) and prices each piece by its class and length:
 * - a word after a space (prose) is one token up to 8 letters, then one more per 4 letters;
 * - any other word (identifiers, JSON keys, path parts) is 1 + letters / 11;
 * - a character of the other scripts (CJK, Hangul, Indic, Arabic…) is 0.6 token;
 * - 1–3 digits, and a whitespace run, are one token each;
 * - a punctuation run (`":{"`, `\n`) is 0.7 + characters / 15;
 * - a base64-looking run (48+ characters of A–Z a–z 0–9 + / with all of upper, lower and digits,
 *   e.g. an image) is one token per 1.7 characters.
 * The constants were fitted against o200k_base on the catalogues and results of six real MCP
 * servers; e2e/src/token-estimate-o200k.test.ts checks the bounds the README states.
 * A text longer than `sampledAbove` characters is priced from evenly spaced windows of it, scaled
 * to its length: the cost of one estimate stays bounded (≈ 0.25 ms) however large a tool result is,
 * since it runs on the proxy's event loop. Pure.
 */
export function estimateTokens(text: string): number {
  if (text.length <= sampledAbove) return Math.round(scanTokens(text));
  const length = text.length;
  const stride = (length - sampleWindow) / (sampleWindows - 1);
  let sampled = 0;
  for (let k = 0; k < sampleWindows; k++) {
    const start = Math.floor(k * stride);
    sampled += scanTokens(text.slice(start, start + sampleWindow));
  }
  return Math.round((sampled * length) / (sampleWindows * sampleWindow));
}

/** Texts up to this many UTF-16 code units are scanned whole. */
export const sampledAbove = 16_384;
const sampleWindow = 512;
const sampleWindows = sampledAbove / sampleWindow;

/** The scan itself: fractional tokens of the whole text. */
function scanTokens(text: string): number {
  const length = text.length;
  const sum: Tally = { tokens: 0, plainUntil: 0 };
  let i = 0;
  while (i < length) {
    const kind = kindOf(text.charCodeAt(i));
    if (kind === Kind.Letter || kind === Kind.Wide || kind === Kind.Digit) {
      const before = sum.tokens;
      let end: number;
      if (kind === Kind.Digit) {
        end = runEnd(text, i, Kind.Digit, maxDigitsPerPiece);
        sum.tokens += 1;
      } else {
        end = scanWord(text, i, false, sum);
      }
      // A base64 run has digits and letters: it always goes on past the first piece.
      const base64End = end < length && continuesBase64(text.charCodeAt(end)) ? base64RunEnd(text, i, sum) : i;
      if (base64End > i) {
        sum.tokens = before + (base64End - i) / base64CharsPerToken;
        end = base64End;
      }
      i = end;
      continue;
    }
    const nextKind = i + 1 < length ? kindOf(text.charCodeAt(i + 1)) : Kind.End;
    if (kind !== Kind.Newline && (nextKind === Kind.Letter || nextKind === Kind.Wide)) {
      // One non-letter (space, quote, underscore, slash) opens the word that follows it…
      const before = sum.tokens;
      const end = scanWord(text, i + 1, text.charCodeAt(i) === space, sum);
      const base64End = end < length && continuesBase64(text.charCodeAt(end)) ? base64RunEnd(text, i + 1, sum) : i + 1;
      if (base64End > i + 1) {
        // …but not a base64 run, which is priced alone: the character before it is a piece of its own
        // (punctuation, a space that costs nothing, or other whitespace).
        const prefix = text.charCodeAt(i);
        const prefixPrice =
          kind === Kind.Punct ? punctuationBase + 1 / punctuationCharsPerToken : prefix === space ? 0 : 1;
        sum.tokens = before + prefixPrice + (base64End - i - 1) / base64CharsPerToken;
        i = base64End;
      } else {
        i = end;
      }
    } else if (kind === Kind.Punct || (text.charCodeAt(i) === space && nextKind === Kind.Punct)) {
      const start = kind === Kind.Punct ? i : i + 1;
      let end = runEnd(text, start, Kind.Punct, length);
      const punctuation = end - start;
      while (end < length && (kindOf(text.charCodeAt(end)) === Kind.Newline || text.charCodeAt(end) === slash)) end++;
      sum.tokens += punctuationBase + punctuation / punctuationCharsPerToken;
      i = end;
    } else {
      i = scanWhitespace(text, i, sum);
    }
  }
  return sum.tokens;
}

/** Whether a base64 run could go on with this character (letters, digits, + and /). */
function continuesBase64(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x2b ||
    code === slash
  );
}

interface Tally {
  tokens: number;
  /** Positions before this are known to start no base64 run (keeps the look-ahead linear). */
  plainUntil: number;
}

/** Character classes of the scan. */
const Kind = {
  /** ASCII, Latin, Greek and Cyrillic letters: priced by word length. */
  Letter: 0,
  /** Letters of scripts priced one token each. */
  Wide: 1,
  Digit: 2,
  /** Space and tab. */
  Blank: 3,
  Newline: 4,
  /** Anything else: ASCII punctuation, symbols, emoji. */
  Punct: 5,
  End: 6,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

const space = 0x20;
const slash = 0x2f;
const maxDigitsPerPiece = 3;
const base64MinRun = 48;
const base64CharsPerToken = 1.7;
const proseWordLetters = 8;
const proseLettersPerExtraToken = 4;
const wordLettersPerToken = 11;
const wideTokensPerChar = 0.6;
const punctuationBase = 0.7;
const punctuationCharsPerToken = 15;

function kindOf(code: number): Kind {
  return code < 0x80 ? (asciiKinds[code] as Kind) : nonAsciiKind(code);
}

const asciiKinds = Uint8Array.from({ length: 0x80 }, (_, code) => {
  if ((code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a)) return Kind.Letter;
  if (code >= 0x30 && code <= 0x39) return Kind.Digit;
  if (code === space || code === 0x09 || code === 0x0b || code === 0x0c) return Kind.Blank;
  if (code === 0x0a || code === 0x0d) return Kind.Newline;
  return Kind.Punct;
});

function nonAsciiKind(code: number): Kind {
  // Latin-1 letters, Latin Extended, IPA, combining marks, Greek, Cyrillic: word letters.
  if (code >= 0xc0 && code < 0x530 && code !== 0xd7 && code !== 0xf7) return Kind.Letter;
  if (code < 0xc0) return code === 0xa0 ? Kind.Blank : Kind.Punct;
  // General punctuation, arrows, maths, box drawing, dingbats; CJK punctuation; surrogates (emoji).
  if ((code >= 0x2000 && code < 0x2c00) || (code >= 0x3000 && code < 0x3040) || (code >= 0xd800 && code < 0xe000))
    return Kind.Punct;
  if (code >= 0xff00 && code < 0xff10) return Kind.Punct;
  return Kind.Wide;
}

function isUpper(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0xc0 && code <= 0xde && code !== 0xd7);
}

function runEnd(text: string, start: number, kind: Kind, maxLength: number): number {
  let end = start;
  const limit = Math.min(text.length, start + maxLength);
  while (end < limit && kindOf(text.charCodeAt(end)) === kind) end++;
  return end;
}

/**
 * A word piece from `start`: upper-case letters then lower-case ones, as o200k splits camelCase
 * ("inputSchema" is "input" + "Schema"). Adds its price; returns where it ends.
 */
function scanWord(text: string, start: number, afterSpace: boolean, sum: Tally): number {
  const length = text.length;
  let end = start;
  let letters = 0;
  let wide = 0;
  let sawLower = false;
  while (end < length) {
    const code = text.charCodeAt(end);
    // ASCII first, without a table lookup: this loop is most of the estimate's time.
    if (code >= 0x61 && code <= 0x7a) {
      sawLower = true;
      letters += 1;
    } else if (code >= 0x41 && code <= 0x5a) {
      if (sawLower) break;
      letters += 1;
    } else if (code < 0x80) {
      break;
    } else {
      const kind = nonAsciiKind(code);
      if (kind === Kind.Wide) {
        wide += 1;
      } else if (kind === Kind.Letter) {
        const upper = isUpper(code);
        if (upper && sawLower) break;
        if (!upper) sawLower = true;
        letters += 1;
      } else {
        break;
      }
    }
    end++;
  }
  let tokens = wide * wideTokensPerChar;
  if (letters > 0) {
    tokens += afterSpace
      ? 1 + Math.max(0, letters - proseWordLetters) / proseLettersPerExtraToken
      : 1 + letters / wordLettersPerToken;
  }
  sum.tokens += tokens;
  return end;
}

/**
 * Whitespace from `start`: up to the last line break is one piece; spaces after it are another,
 * except the last one before a word or punctuation, which opens that piece instead.
 */
function scanWhitespace(text: string, start: number, sum: Tally): number {
  const length = text.length;
  let end = start;
  let lastNewline = -1;
  while (end < length) {
    const kind = kindOf(text.charCodeAt(end));
    if (kind === Kind.Newline) lastNewline = end;
    else if (kind !== Kind.Blank) break;
    end++;
  }
  let count = 0;
  let rest = start;
  if (lastNewline >= 0) {
    count += 1;
    rest = lastNewline + 1;
  }
  if (rest < end) {
    const opensNext = end < length && text.charCodeAt(end - 1) === space && kindOf(text.charCodeAt(end)) !== Kind.Digit;
    if (opensNext) {
      if (end - 1 > rest) count += 1;
      end -= 1;
    } else {
      count += 1;
    }
  }
  sum.tokens += count;
  // Progress is guaranteed: a lone space before a word is taken by the word branch, not here.
  return end > start ? end : start + 1;
}

/** Where a base64-looking run starting at `start` ends, or `start` when there is none. */
function base64RunEnd(text: string, start: number, sum: Tally): number {
  if (start < sum.plainUntil) return start;
  const length = text.length;
  let end = start;
  let upper = false;
  let lower = false;
  let digit = false;
  while (end < length) {
    const code = text.charCodeAt(end);
    if (code >= 0x41 && code <= 0x5a) upper = true;
    else if (code >= 0x61 && code <= 0x7a) lower = true;
    else if (code >= 0x30 && code <= 0x39) digit = true;
    else if (code !== 0x2b && code !== slash) break;
    end++;
  }
  // A run that is not base64 has no tail that is: each position of it is checked once.
  if (end - start < base64MinRun || !(upper && lower && digit)) {
    sum.plainUntil = end;
    return start;
  }
  while (end < length && text.charCodeAt(end) === 0x3d) end++;
  return end;
}
