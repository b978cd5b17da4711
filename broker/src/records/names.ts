/**
 * Person-name matching for criminal-records lookups across States: the same person is recorded
 * as राम कुमार in one State, ராம் குமார் in another and "Ram Kumaar" or "Kumar Ram" in a third.
 * Pure functions, no dependencies:
 *
 *   transliterate → tokens (aliases split, titles dropped) → phoneticKey per token
 *   → token matching (equal keys, weighted edit distance on keys, initials, compounds) → nameScore
 *
 * The scheme is deliberately lossy in the places where Indian spellings disagree (long vowels,
 * aspiration, retroflex vs dental, v/w/b, s/sh, z/j) and strict where different names differ
 * (the first consonant, a consonant in a short name). `searchKeys` gives short index keys so a
 * store can pre-select candidates before scoring them.
 */

// ---------------------------------------------------------------------------------------------
// Transliteration
//
// The nine main Brahmic blocks (Devanagari 0x0900, Bengali 0x0980, Gurmukhi 0x0A00, Gujarati
// 0x0A80, Odia 0x0B00, Tamil 0x0B80, Telugu 0x0C00, Kannada 0x0C80, Malayalam 0x0D00) follow
// ISCII's layout: the same letter sits at the same offset in every block. One table of 128
// offsets therefore serves all of them; a few per-script overrides cover letters only one
// script has (Gurmukhi tippi and addak, Malayalam chillu letters, Bengali khanda ta). Offsets a
// script leaves unassigned (Tamil has no ख, ग, घ...) never occur in valid text.
//
// Output is plain lower-case ASCII, ISO 15919 with the diacritics dropped and long vowels
// written short, because that is how names are spelt in Latin letters in India: ā→a, ī→i,
// ū→u, ṛ→ri, ś/ṣ→sh, ṭ/t→t, ṇ/ñ/ṅ→n, so सुनील → "sunil", not "sunīl".
// ---------------------------------------------------------------------------------------------

/** What a code point in a Brahmic block is. */
const SEP = 0; // not part of a name: ends the word (danda, currency, fractions, unassigned)
const CONS = 1; // consonant, carrying the inherent vowel 'a'
const VOWEL = 2; // independent vowel (also the vowel-only segments of a word)
const SIGN = 3; // dependent vowel sign (matra): replaces the inherent vowel
const VIRAMA = 4; // removes the inherent vowel, so the consonant joins the next one
const NUKTA = 5; // dot below: ज़ is z, फ़ is f
const NASAL = 6; // anusvara, chandrabindu, Gurmukhi tippi and bindi
const VISARGA = 7;
const DIGIT = 8;
const SKIP = 9; // ignored inside a word: accents, length marks, avagraha
const DEAD = 10; // consonant with no inherent vowel: Malayalam chillu, Bengali khanda ta
const GEMINATE = 11; // Gurmukhi addak: doubles the next consonant
const AYTHAM = 12; // Tamil ஃ: before ப or ஜ it writes f or z

type Entry = readonly [kind: number, latin: string];

const DEVA = 0;
const BENG = 1;
const GURU = 2;
const GUJR = 3;
const ORYA = 4;
const TAML = 5;
const TELU = 6;
const KNDA = 7;
const MLYM = 8;

/** The layout every block shares, by offset. */
function sharedLayout(): Entry[] {
  const t: Entry[] = Array.from({ length: 128 }, (): Entry => [SEP, '']);
  const run = (start: number, kind: number, latin: string): void =>
    latin.split(' ').forEach((l, i) => (t[start + i] = [kind, l]));
  run(0x00, NASAL, '- - -');
  t[0x03] = [VISARGA, 'h'];
  run(0x04, VOWEL, 'a a a i i u u ri li e e e ai o o o au');
  run(0x15, CONS, 'k kh g gh n ch chh j jh n t th d dh n t th d dh n n p ph b bh m y r r l l zh v');
  run(0x36, CONS, 'sh sh s h');
  run(0x3a, SKIP, '- -');
  t[0x3c] = [NUKTA, ''];
  t[0x3d] = [SKIP, ''];
  run(0x3e, SIGN, 'a i i u u ri ri e e e ai o o o au');
  t[0x4d] = [VIRAMA, ''];
  run(0x4e, SKIP, '- -');
  t[0x50] = [VOWEL, 'om'];
  run(0x51, SKIP, '- - - - - - -');
  // Precomposed nukta letters. NFC decomposes them (they are composition exclusions), so these
  // entries only matter for text that skipped normalisation.
  run(0x58, CONS, 'q kh gh z r rh f y');
  run(0x60, VOWEL, 'ri li');
  run(0x62, SIGN, 'li li');
  run(0x66, DIGIT, '0 1 2 3 4 5 6 7 8 9');
  // '-' stood for "no letters" in the runs above.
  return t.map(([k, l]): Entry => [k, l === '-' ? '' : l]);
}

/** Letters that exist in one script only, by offset. */
const OVERRIDES: Record<number, Record<number, Entry>> = {
  [DEVA]: {
    0x3a: [SIGN, 'o'], // oe, ooe (Kashmiri)
    0x3b: [SIGN, 'o'],
    0x4e: [SKIP, ''], // prishthamatra
    0x4f: [SIGN, 'o'],
    0x55: [SIGN, 'e'],
    0x56: [SIGN, 'u'],
    0x57: [SIGN, 'u'],
    0x70: [SEP, ''], // ॰ abbreviation sign, as in डॉ॰
    0x72: [VOWEL, 'e'], // ॲ (Marathi)
    0x73: [VOWEL, 'o'],
    0x74: [VOWEL, 'o'],
    0x75: [VOWEL, 'au'],
    0x76: [VOWEL, 'u'],
    0x77: [VOWEL, 'u'],
    0x79: [CONS, 'z'],
    0x7a: [CONS, 'y'],
    0x7b: [CONS, 'g'], // Sindhi implosives
    0x7c: [CONS, 'j'],
    0x7e: [CONS, 'd'],
    0x7f: [CONS, 'b'],
  },
  [BENG]: {
    0x4e: [DEAD, 't'], // ৎ khanda ta, as in অরিজিৎ
    0x57: [SKIP, ''], // au length mark
    0x70: [CONS, 'r'], // Assamese ৰ
    0x71: [CONS, 'w'], // Assamese ৱ
  },
  [GURU]: {
    0x70: [NASAL, ''], // tippi
    0x71: [GEMINATE, ''], // addak
    0x72: [VOWEL, ''], // ੲ and ੳ only carry a vowel sign
    0x73: [VOWEL, ''],
  },
  // Gujarati says ઋ as "ru": કૃપા is Krupa, જાગૃતિ Jagruti.
  [GUJR]: { 0x0b: [VOWEL, 'ru'], 0x43: [SIGN, 'ru'], 0x79: [CONS, 'z'] },
  [ORYA]: { 0x56: [SKIP, ''], 0x57: [SKIP, ''], 0x71: [CONS, 'w'] },
  [TAML]: { 0x03: [AYTHAM, ''], 0x57: [SKIP, ''] },
  [TELU]: {
    0x04: [NASAL, ''],
    0x58: [CONS, 'ts'],
    0x59: [CONS, 'dz'],
    0x5a: [CONS, 'r'],
    0x5d: [DEAD, 'n'],
  },
  [KNDA]: { 0x5d: [DEAD, 'n'], 0x5e: [CONS, 'zh'], 0x71: [SKIP, ''], 0x72: [SKIP, ''] },
  [MLYM]: {
    0x3a: [CONS, 't'],
    0x3b: [VIRAMA, ''],
    0x3c: [VIRAMA, ''],
    0x4e: [DEAD, 'r'], // dot reph
    0x54: [DEAD, 'm'], // chillu letters: a consonant that ends a syllable
    0x55: [DEAD, 'y'],
    0x56: [DEAD, 'zh'],
    0x57: [SIGN, 'au'], // modern spelling writes au with the length mark alone: സൗമ്യ
    0x5f: [VOWEL, 'i'],
    0x7a: [DEAD, 'n'],
    0x7b: [DEAD, 'n'],
    0x7c: [DEAD, 'r'],
    0x7d: [DEAD, 'l'],
    0x7e: [DEAD, 'l'],
    0x7f: [DEAD, 'k'],
  },
};

/** One 128-entry table per script: the shared layout with that script's overrides. */
const TABLES: readonly (readonly Entry[])[] = Array.from({ length: 9 }, (_, s) => {
  const t = sharedLayout();
  for (const [off, e] of Object.entries(OVERRIDES[s] ?? {})) t[Number(off)] = e;
  return t;
});

/** A consonant followed by a nukta, by the consonant's offset. */
const NUKTA_FORMS = new Map<number, string>([
  [0x15, 'q'],
  [0x16, 'kh'], // ख़ as in ख़ान: Latin spelling keeps kh
  [0x17, 'gh'],
  [0x1c, 'z'],
  [0x1d, 'z'],
  [0x21, 'r'], // ड़
  [0x22, 'rh'],
  [0x2b, 'f'],
  [0x2f, 'y'], // Bengali and Odia য় / ୟ
  [0x28, 'n'],
  [0x30, 'r'],
  [0x33, 'l'], // Gurmukhi ਲ਼
  [0x38, 'sh'], // Gurmukhi ਸ਼
]);

/** Offsets of the labial stops p ph b bh m, before which a nasal sign is 'm'. */
const LABIAL_FIRST = 0x2a;
const LABIAL_LAST = 0x2e;
const HA = 0x39;
const JA = 0x1c;
const NYA = 0x1e;
const YA = 0x2f;
const RRA = 0x31;
const NNNA = 0x29;

/** One syllable-ish piece of a word in a Brahmic script. */
interface Seg {
  kind: number; // CONS, VOWEL, NASAL or VISARGA
  /** Consonant letters ('' for vowels and signs). */
  c: string;
  /** Vowel letters: 'a' while inherent, a sign's vowel, or '' after a virama. */
  v: string;
  off: number;
  inherent: boolean;
  /** Written without a vowel (virama or a dead letter), as opposed to a schwa deleted later. */
  virama: boolean;
  /** Doubled by a Gurmukhi addak. */
  gem: boolean;
  /** No nukta was applied. */
  plain: boolean;
}

const seg = (kind: number, c: string, v: string, off: number): Seg => ({
  kind,
  c,
  v,
  off,
  inherent: kind === CONS && v === 'a',
  virama: kind === CONS && v === '',
  gem: false,
  plain: true,
});

const hasVowel = (s: Seg): boolean => s.kind === VOWEL || (s.kind === CONS && s.v !== '');
const isDead = (s: Seg | undefined): s is Seg => s !== undefined && s.kind === CONS && s.v === '';

/**
 * Hindi-style schwa deletion, which is what makes राम "ram" and कमला "kamla": drop a word's
 * final inherent 'a' unless it follows a conjunct (मिश्र stays "mishra", कृष्ण "krishna"), then,
 * right to left, drop an inherent 'a' that sits between a vowel and a consonant-plus-vowel
 * (V C a C V: अरविंद → "arvind", जगदीश → "jagdish", कमलनाथ → "kamalnath") or a stop followed by
 * r, y or v (रामप्रसाद → "ramprasad", गुरप्रीत → "gurprit"). Spoken Hindi,
 * Marathi, Punjabi, Gujarati, Bengali and Odia drop these vowels and Latin spellings follow
 * speech; compounds sometimes defeat the rule (हरभजन gives "harabhjan"), which the key's edit
 * distance absorbs.
 */
function deleteSchwas(segs: Seg[]): void {
  const last = segs.length - 1;
  const end = segs[last];
  if (end !== undefined && last > 0 && end.inherent && !isDead(segs[last - 1])) end.v = '';
  for (let i = last - 1; i >= 1; i--) {
    const g = segs[i] as Seg;
    if (!g.inherent || g.v !== 'a') continue;
    const prev = segs[i - 1] as Seg;
    const next = segs[i + 1] as Seg;
    if (hasVowel(prev) && next.kind === CONS && (next.v !== '' || startsOnset(segs, i + 1))) {
      g.v = '';
    }
  }
}

const RA = 0x30;
/** Offsets of the nasal consonants ङ ञ ण न ऩ म. */
const NASALS = new Set([0x19, 0x1e, 0x23, 0x28, 0x29, 0x2e]);
/** A stop (k … bh, not a nasal): with r after it, it begins a syllable (प्र, क्र, ट्र). */
const isStop = (off: number): boolean => off >= 0x15 && off <= 0x2d && !NASALS.has(off);

/**
 * segs[i] is a stop written with a virama before r-plus-vowel (प्र in रामप्रसाद). Not before the
 * same stop: দেবব্রত is Debabrata, not Debbrata.
 */
function startsOnset(segs: Seg[], i: number): boolean {
  const g = segs[i] as Seg;
  const next = segs[i + 1];
  const before = segs[i - 1];
  return (
    g.virama &&
    isStop(g.off) &&
    before?.off !== g.off &&
    next !== undefined &&
    next.kind === CONS &&
    next.v !== '' &&
    next.off === RA
  );
}

/** A nasal sign, which takes the place of articulation of what follows. */
function nasal(next: Seg | undefined, north: boolean): string {
  if (next === undefined || next.kind !== CONS) return north ? 'n' : 'm';
  if (next.off >= LABIAL_FIRST && next.off <= LABIAL_LAST) return 'm';
  // सिंह is spelt "singh"; Telugu and Kannada సింహ is "simha".
  if (next.off === HA) return north ? 'ng' : 'm';
  return 'n';
}

/**
 * Tamil writes k/g, c/j/s, ṭ/ḍ, t/d, p/b with one letter each; the sound depends on position,
 * and Latin spellings follow the sound: initial or doubled is voiceless, after a nasal voiced,
 * between vowels k → g and ṭ → d (முருகன் "murugan", பாண்டியன் "pandiyan"). த is "th" everywhere,
 * as Tamil Latin spelling has it ("senthil", "kavitha").
 */
function tamilConsonant(segs: Seg[], i: number): string {
  const g = segs[i] as Seg;
  if (!g.plain || g.c === 'f' || g.c === 'z') return g.c;
  const prev = segs[i - 1];
  const next = segs[i + 1];
  const prevDead = isDead(prev);
  const afterNasal = prevDead && NASALS.has(prev.off);
  const geminate = prevDead && prev.off === g.off;
  const firstOfPair = g.v === '' && next !== undefined && next.kind === CONS && next.off === g.off;
  const intervocalic = prev !== undefined && hasVowel(prev) && g.v !== '';
  switch (g.off) {
    case 0x15:
      return afterNasal || intervocalic ? 'g' : 'k';
    case 0x1a:
      if (firstOfPair) return ''; // பிச்சை is "pichai"
      if (afterNasal) return 'j';
      if (geminate) return 'ch';
      return prev === undefined || intervocalic ? 's' : 'ch';
    case 0x1f:
      return afterNasal || intervocalic ? 'd' : 't';
    case 0x24:
      return firstOfPair ? '' : 'th'; // முத்து is "muthu"
    case 0x2a:
      return afterNasal ? 'b' : 'p';
    case NYA:
      return prev === undefined ? 'gn' : 'n'; // ஞானம் is "gnanam"
    case RRA:
      if (firstOfPair) return 't'; // வெற்றி is "vetri"
      if (prevDead && prev.off === NNNA) return 'dr'; // தென்றல் is "thendral"
      return 'r';
    default:
      return g.c;
  }
}

/** The Latin letters of one word of Brahmic script. */
function emitWord(segs: Seg[], script: number): string {
  const north = script <= ORYA;
  if (north) deleteSchwas(segs);
  let s = '';
  for (let i = 0; i < segs.length; i++) {
    const g = segs[i] as Seg;
    const prev = segs[i - 1];
    const next = segs[i + 1];
    if (g.kind === NASAL) s += nasal(next, north);
    else if (g.kind === VISARGA) s += 'h';
    else if (g.kind === VOWEL) s += g.v;
    else {
      let c = g.c;
      if (script === TAML) c = tamilConsonant(segs, i);
      else if (script === MLYM && g.off === RRA && (isDead(prev) || g.v === '')) c = 't'; // റ്റ, ന്റ
      // Bengali and Odia pronounce a word-initial য / ଯ as j (যশোদা "jashoda").
      if (g.off === YA && g.plain && i === 0 && (script === BENG || script === ORYA)) c = 'j';
      // ज्ञ is "gy" in the north (ज्ञान "gyan") and "jn" in the south (ஞானம் "jnanam").
      if (g.off === JA && g.v === '' && next?.kind === CONS && next.off === NYA) c = '';
      if (g.off === NYA && prev?.kind === CONS && prev.off === JA && prev.v === '') {
        c = north ? 'gy' : 'jn';
      }
      if (g.gem) c = c.slice(0, 1) + c;
      s += c + g.v;
    }
  }
  return s;
}

/** Latin letters with no decomposition to a base letter. */
const LATIN_SPECIAL = new Map([
  ['ß', 'ss'],
  ['æ', 'ae'],
  ['œ', 'oe'],
  ['ø', 'o'],
  ['đ', 'd'],
  ['ð', 'd'],
  ['ł', 'l'],
  ['ı', 'i'],
  ['þ', 'th'],
  ['ŋ', 'ng'],
]);

/**
 * The ASCII letters for one non-Brahmic character: '' for characters that vanish inside a
 * word (apostrophes: D'Souza is "dsouza"), null for a separator (space, punctuation, emoji,
 * other scripts).
 */
function latinOf(ch: string, cp: number): string | null {
  if (cp < 0x80) {
    if ((cp >= 0x61 && cp <= 0x7a) || (cp >= 0x30 && cp <= 0x39)) return ch;
    if (cp >= 0x41 && cp <= 0x5a) return String.fromCharCode(cp + 32);
    return cp === 0x27 || cp === 0x60 ? '' : null;
  }
  if (cp === 0x2018 || cp === 0x2019 || cp === 0x02bc) return '';
  if ((cp >= 0xc0 && cp <= 0x24f) || (cp >= 0x1e00 && cp <= 0x1eff)) {
    const lower = ch.toLowerCase();
    const special = LATIN_SPECIAL.get(lower);
    if (special !== undefined) return special;
    const base = lower.normalize('NFD').replace(/[^a-z]/g, '');
    return base === '' ? null : base;
  }
  return null;
}

/** Zero-width joiners, soft hyphen and combining accents: invisible inside a word. */
const isIgnorable = (cp: number): boolean =>
  cp === 0x200c || cp === 0x200d || cp === 0xad || (cp >= 0x300 && cp <= 0x36f);

/**
 * Converts text in any of the nine main Brahmic scripts, or Latin, to lower-case ASCII words
 * separated by single spaces: राम कुमार → "ram kumar", মোহাম্মদ → "mohammad",
 * "Śarmā, Dr." → "sarma dr". Latin is lower-cased with diacritics stripped; punctuation,
 * emoji and other scripts become spaces; a change between Latin and Brahmic script starts a
 * new word. Linear in the input; never throws.
 */
export function transliterate(text: string): string {
  // Normalise so that Tamil ொ and Malayalam ൊ arrive composed and nukta letters decomposed
  // (NFC's choice for both); NFKC also folds full-width Latin and ligatures.
  const src = /^\p{ASCII}*$/u.test(text) ? text : text.normalize('NFKC');
  const out: string[] = [];
  let segs: Seg[] = [];
  let script = -1;
  let gem = false;
  let aytham = false;
  let last: 'sep' | 'latin' | 'indic' = 'sep';

  const flush = (): void => {
    if (segs.length > 0) {
      if (last === 'latin') out.push(' ');
      out.push(emitWord(segs, script));
      last = 'indic';
      segs = [];
    }
    gem = false;
    aytham = false;
  };
  const separate = (): void => {
    flush();
    if (last !== 'sep') out.push(' ');
    last = 'sep';
  };
  const latin = (letters: string): void => {
    flush();
    if (last === 'indic') out.push(' ');
    out.push(letters);
    last = 'latin';
  };

  for (const ch of src) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0x0900 && cp < 0x0d80) {
      const s = (cp - 0x0900) >> 7;
      const off = cp & 0x7f;
      if (s !== script) {
        flush();
        script = s;
      }
      const [kind, letters] = (TABLES[s] as readonly Entry[])[off] as Entry;
      const prev = segs[segs.length - 1];
      switch (kind) {
        case CONS: {
          const g = seg(CONS, letters, 'a', off);
          g.gem = gem;
          if (aytham && off === 0x2a) g.c = 'f';
          if (aytham && off === JA) g.c = 'z';
          gem = false;
          aytham = false;
          segs.push(g);
          break;
        }
        case DEAD:
          segs.push(seg(CONS, letters, '', off));
          break;
        case VOWEL:
          segs.push(seg(VOWEL, '', letters, off));
          break;
        case SIGN:
          if (prev?.kind === CONS && prev.inherent) {
            prev.v = letters;
            prev.inherent = false;
          } else segs.push(seg(VOWEL, '', letters, off));
          break;
        case VIRAMA:
          if (prev?.kind === CONS) {
            prev.v = '';
            prev.inherent = false;
            prev.virama = true;
          }
          break;
        case NUKTA:
          if (prev?.kind === CONS && prev.plain) {
            prev.c = NUKTA_FORMS.get(prev.off) ?? prev.c;
            prev.plain = false;
          }
          break;
        case NASAL:
          segs.push(seg(NASAL, '', '', off));
          break;
        case VISARGA:
          segs.push(seg(VISARGA, '', '', off));
          break;
        case GEMINATE:
          gem = true;
          break;
        case AYTHAM:
          aytham = true;
          break;
        case DIGIT:
          latin(letters);
          break;
        case SKIP:
          break;
        default:
          separate();
      }
      continue;
    }
    if (isIgnorable(cp)) continue;
    const letters = latinOf(ch, cp);
    if (letters === null) separate();
    else if (letters !== '') latin(letters);
  }
  flush();
  return out.join('').trim();
}

// ---------------------------------------------------------------------------------------------
// Phonetic keys
// ---------------------------------------------------------------------------------------------

/**
 * Version of the key rules. A store that indexes `searchKeys` records the version it used and
 * re-indexes when this changes; names prepared at write time (`records/prepared.ts`) carry it
 * too, and names of another version are prepared again when scored.
 */
export const KEY_VERSION = 1;

/** Abbreviations written in place of a whole name. */
const EXPANSIONS = new Map([
  ['mohd', 'mohammad'],
  ['mohmd', 'mohammad'],
  ['mhd', 'mohammad'],
  ['md', 'mohammad'],
  ['kr', 'kumar'],
  ['pd', 'prasad'],
  ['prd', 'prasad'],
  ['prsd', 'prasad'],
]);

/**
 * Spellings of one name that no general rule joins: anglicised Bengali surnames (Ganguly is
 * Gangopadhyay), Arabic names in several transcriptions, and regional forms. The first of each
 * group is the canonical form; every member's key maps to the first one's key.
 */
const EQUIVALENT_SPELLINGS: readonly (readonly string[])[] = [
  ['mohammad', 'mohammed', 'muhammad', 'muhammed', 'mohamed', 'mohamad', 'mohmmad', 'mahammad'],
  ['mohammod', 'mahammed'],
  ['chaudhary', 'chowdhury', 'choudhury', 'chaudhuri', 'chowdhary', 'chaudhri', 'chowdary'],
  ['gangopadhyay', 'ganguly', 'ganguli', 'gangopadhyaya'],
  ['bandyopadhyay', 'banerjee', 'banerji', 'bandopadhyay', 'bandyopadhyaya'],
  ['mukhopadhyay', 'mukherjee', 'mukerji', 'mukharji', 'mukherji', 'mukhopadhyaya'],
  ['chattopadhyay', 'chatterjee', 'chatterji', 'chattopadhyaya'],
  ['bhattacharya', 'bhattacharjee', 'bhattacharyya', 'bhattacharji'],
  ['iyer', 'ayyar', 'aiyar', 'iyyer'],
  ['iyengar', 'ayyangar', 'iyangar', 'aiyangar'],
  ['roy', 'rai', 'ray'],
  ['rao', 'ravu', 'rav'],
  ['naidu', 'nayudu'],
  ['nair', 'nayar'],
  ['datta', 'dutta', 'dutt', 'datt'],
  ['basu', 'bose'],
  ['ghosh', 'ghose'],
  ['mandal', 'mondal'],
  ['sheikh', 'shaikh', 'shekh', 'shaik', 'sheik'],
  ['hussain', 'husain', 'hussein', 'hossain', 'husen', 'hussian'],
  ['syed', 'sayyed', 'sayed', 'saiyed', 'saiyad', 'sayyad', 'sayyid'],
  ['qureshi', 'quraishi', 'kureshi', 'qureishi'],
  ['yusuf', 'yousuf', 'yousaf', 'yusuff'],
  ['ahmad', 'ahmed'],
  ['baig', 'beg'],
  ['ayesha', 'aisha', 'aysha', 'ayisha'],
  ['jaya', 'jeya'], // Tamil writes ஜெயா
  ['gaikwad', 'gayakwad', 'gaekwad'],
  ['rathore', 'rathaur', 'rathor', 'rathour'],
];

/**
 * The general rules, in order. Each joins spellings that Indian records use for one sound;
 * `rawKey` applies them and the tests pin their effect.
 */
const KEY_RULES: readonly (readonly [RegExp, string])[] = [
  [/^(?:dny|jn|gn)(?=a)/, 'gy'], // ज्ञान: Gyan (Hindi), Dnyaneshwar (Marathi), Gnanam (Tamil)
  [/x/g, 'ks'], // Laxmi = Lakshmi (after sh → s)
  [/ph/g, 'f'], // फ and फ़ are both written f
  [/zh/g, 'l'], // Tamil/Malayalam ழ: Azhagiri = Alagiri, Pazhani = Palani
  [/ck/g, 'k'],
  [/q/g, 'k'], // क़ = क: Qureshi, Iqbal
  [/c(?=[eiy])/g, 's'], // Vincent, Francis
  [/c(?!h)/g, 'k'], // from here on 'c' only occurs in 'ch'
  [/chh/g, 'c'], // छ and च
  [/ch/g, 'c'],
  [/sh/g, 's'], // श ष स: Shrivastava = Srivastava, Shiva = Siva
  [/ow/g, 'o'], // Chowdhury, Gowda, Kowshik
  [/w/g, 'v'], // Rawi = Ravi, Wijay = Vijay
  [/z/g, 'j'], // ज़ = ज: Zakir = Jakir, Ijaz = Izaz
  [/([bcdfgjklmnprstvy])h/g, '$1'], // aspiration: kh gh jh th dh bh (Thakur = Takur, Jha)
  [/ee|ii/g, 'i'], // Suneel = Sunil
  [/oo|uu/g, 'u'], // Pooja = Puja
  [/ou|au/g, 'o'], // Sourav = Saurav, Kaur = Kour
  [/er(?=[^aeiou])/g, 'ar'], // Verma = Varma, Pervez = Parvez
  [/([dt])[aeo]r$/, '$1r'], // Surender = Surendra, Inder = Indra, Majumder = Majumdar
  [/([aeiou])sv/g, '$1s'], // Biswas = Vishwas, Ramaswamy = Ramasamy (not initial: Swati)
  [/v/g, 'b'], // Bengali, Assamese, Odia have no v: Bikash = Vikas, Binod = Vinod
  [/([aeiou])sb/g, '$1s'], // বিশ্বাস is "bishbas"
  [/(.)\1+/g, '$1'], // Reddy = Redy, Bhatt = Bhat, Aggarwal = Agarwal, Kumaar = Kumar
  [/iy(?=[aeiou])/g, 'i'], // Sonia = Soniya, Pandian = Pandiyan
  [/([aeiou])yi/g, '$1i'], // Sai = Sayi (సాయి), Desai = Desayi
  [/ey$/, 'e'], // Pandey = Pande, Dubey = Dube
  [/([aeiou])y(?![aeiou])/g, '$1i'], // Vijay = Vijai, Gaikwad = Gaykwad
  [/y$/, 'i'], // Reddy = Reddi
];

/** Suffixes of respect fused onto a given name: Rameshbhai is Ramesh, Kokilaben is Kokila. */
const FUSED_SUFFIX = /^(.{4,}?)(?:bhai|bai|ben)$/;

/** The key before the table of equivalent spellings is applied. */
function rawKey(word: string): string {
  let k = (EXPANSIONS.get(word) ?? word).replace(FUSED_SUFFIX, '$1');
  for (const [re, to] of KEY_RULES) k = k.replace(re, to);
  // Final 'a' and 'h' carry no information in Latin spellings (Sharmaa, Yadava, Jhaa, Shah),
  // and a Telugu or Kannada name transliterates with the vowel Hindi drops (రామ → "rama").
  // A key keeps two letters so that Jha and Shah stay more than a consonant.
  while (k.length > 2 && (k.endsWith('a') || k.endsWith('h'))) k = k.slice(0, -1);
  // Pandeya = Pandey; Siddaramayya (Kannada script) = Siddaramaiah, Vijaya = Vijay (in the
  // south both are men's names). Aditya keeps its y: only a vowel before it makes a diphthong.
  if (k.endsWith('ey')) return k.slice(0, -1);
  return k.replace(/([aeiou])y$/, '$1i');
}

/** Every spelling's raw key → the canonical spelling's raw key. */
const EQUIVALENT_KEYS: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const group of EQUIVALENT_SPELLINGS) {
    const canonical = rawKey(group[0] as string);
    for (const spelling of group) {
      const k = rawKey(spelling);
      const seen = m.get(k);
      if (seen !== undefined && seen !== canonical) {
        throw new Error(`names: ${spelling} is equivalent to both ${seen} and ${canonical}`);
      }
      m.set(k, canonical);
    }
  }
  return m;
})();

/** Keys seen recently: names repeat heavily (Kumar, Singh, Devi), so most lookups hit. */
const keyCache = new Map<string, string>();
const KEY_CACHE_LIMIT = 50_000;
const MAX_CACHED_WORD = 40;

/**
 * An Indian-name-aware phonetic key of one word, so that spelling variants collide:
 * Mohammad/Mohammed/Muhammad/Mohd, Shrivastava/Srivastava/Shrivastav, Lakshmi/Laxmi,
 * Verma/Varma, Pandey/Pande/Pandeya, Ravi/Rawi, Chaudhary/Chowdhury, Ganguly/Gangopadhyay.
 * Input is a transliterated word (lower-case a–z, digits); anything else is transliterated
 * first. The rules are `KEY_RULES` and `EQUIVALENT_SPELLINGS` above.
 */
export function phoneticKey(word: string): string {
  const w = /^[a-z0-9]*$/.test(word) ? word : transliterate(word).replace(/ /g, '');
  if (w === '') return '';
  const cached = keyCache.get(w);
  if (cached !== undefined) return cached;
  const raw = rawKey(w);
  const key = EQUIVALENT_KEYS.get(raw) ?? raw;
  if (w.length <= MAX_CACHED_WORD) {
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(w, key);
  }
  return key;
}

// ---------------------------------------------------------------------------------------------
// Names: tokens, aliases, titles
// ---------------------------------------------------------------------------------------------

/**
 * Titles and honorifics that may precede a name (after transliteration: श्री is "shri",
 * श्रीमती "shrimti", डॉ "do", स्व॰ "sva"). Only a leading run is dropped, so these words later
 * in a name stay; a leading Sri that belongs to the name (Sri Devi) is lost with the titles.
 */
const TITLES = new Set(
  (
    'shri sri shree sree sh shrimati shrimti srimati srimti shreemati sreemati smt sushri ' +
    'kumari km ku kum ' +
    'mr mrs ms miss mst mosammat musammat master dr do doctor prof er adv late lt sv sva ' +
    'svargiy svargiya swargiya swargiy marhum marhoom janab jb haji hazrat maulana mohtarma ' +
    'thiru tiru thirumathi thirumati capt col maj sgt insp si asi hc ct const'
  ).split(' '),
);

/**
 * Words of respect after a given name (Ramesh Bhai Patel, Sita Bai) and Kumari, which Bihar and
 * Jharkhand records use in place of a surname for unmarried women: dropped after the first token.
 */
const SUFFIXES = new Set(['bhai', 'bai', 'ben', 'behen', 'ji', 'saheb', 'sahab', 'kumari']);

/** Words that separate a name from its alias: "Ramesh @ Pappu", "Ramesh urf Pappu". */
const ALIAS_MARKERS = new Set(['alias', 'alis', 'urf', 'urfa', 'urph', 'urpha', 'aka']);

/**
 * Relations that end the person's own name: "Ramesh S/O Suresh" is Ramesh, son of Suresh.
 * Plain alternatives, no nested quantifiers: linear on any input.
 */
const RELATION =
  /(?:^|[^\p{L}\p{M}])(?:[sdwch] ?\/ ?o|son +of|daughter +of|wife +of|husband +of|पुत्र|पुत्री|पत्नी)(?![\p{L}\p{M}])/iu;

/** Tokens beyond this are not a person's name; the cap keeps scoring bounded on junk input. */
const MAX_TOKENS = 16;
/** Aliases beyond this are ignored. */
const MAX_ALIASES = 4;

/** One way of writing a person's name: tokens and their phonetic keys, index for index. */
export interface NameForm {
  tokens: string[];
  keys: string[];
  /** joined[i]: key of tokens[i] and tokens[i + 1] written as one word (D Souza: "dsouza"). */
  joined: string[];
}

/** A name parsed once for repeated scoring: its forms (the name and each alias). */
export interface PreparedName {
  forms: NameForm[];
}

const isInitial = (token: string): boolean => token.length === 1 && token >= 'a' && token <= 'z';

/** Letters an initial may stand for as the first letter of a key (V. for Bijay, Z. for Jakir). */
const INITIAL_KEYS: Record<string, string> = { v: 'b', w: 'b', z: 'j', q: 'k', x: 'k' };

/** The key of a token: an initial keeps its letter (phoneticKey would turn "y" into "i"). */
const tokenKey = (token: string): string =>
  isInitial(token) ? (INITIAL_KEYS[token] ?? token) : phoneticKey(token);

/** "rk" (from "RK Sharma") is two initials; "md", "kr" are abbreviations, "sk" stays. */
function splitInitials(tokens: string[]): string[] {
  const out: string[] = [];
  for (const t of tokens) {
    if (t.length <= 3 && /^[b-df-hj-np-tv-xz]{2,3}$/.test(t) && !EXPANSIONS.has(t)) {
      out.push(...t);
    } else out.push(t);
  }
  return out;
}

/** One alias's tokens, with titles and suffix words dropped but never every token. */
function cleanForm(tokens: string[]): string[] {
  let start = 0;
  while (start < tokens.length - 1 && TITLES.has(tokens[start] as string)) start++;
  const kept = tokens.slice(start);
  const withoutSuffixes = kept.filter((t, i) => i === 0 || !SUFFIXES.has(t));
  return splitInitials(withoutSuffixes).slice(0, MAX_TOKENS);
}

/**
 * Parses a name for repeated scoring: cuts a relation tail (S/O, W/O, पुत्र...), splits
 * aliases (@, alias, urf), transliterates, drops leading titles and suffix words, and keys
 * each token.
 */
export function prepareName(name: string): PreparedName {
  let text = name;
  const relation = RELATION.exec(text);
  if (relation !== null) {
    const cut = text.slice(0, relation.index);
    // "S/O Suresh" alone is all we know of the person: keep it rather than nothing.
    if (/[\p{L}]/u.test(cut)) text = cut;
  }
  const words = transliterate(text.replace(/@/g, ' alias ')).split(' ');
  const forms: NameForm[] = [];
  let current: string[] = [];
  const close = (): void => {
    if (current.length > 0 && forms.length < MAX_ALIASES) {
      const tokens = cleanForm(current);
      const joined = tokens.slice(1).map((next, i) => phoneticKey((tokens[i] as string) + next));
      forms.push({ tokens, keys: tokens.map(tokenKey), joined });
    }
    current = [];
  };
  for (const w of words) {
    if (w === '') continue;
    if (ALIAS_MARKERS.has(w)) close();
    else current.push(w);
  }
  close();
  return { forms };
}

/**
 * Tokens and phonetic keys of a name, all its aliases together (for display or indexing):
 * "Shri Ram Kumar @ Pappu" → tokens ["ram", "kumar", "pappu"].
 */
export function normalizeName(name: string): { tokens: string[]; keys: string[] } {
  const { forms } = prepareName(name);
  return { tokens: forms.flatMap((f) => f.tokens), keys: forms.flatMap((f) => f.keys) };
}

// ---------------------------------------------------------------------------------------------
// Scoring
// ---------------------------------------------------------------------------------------------

/**
 * A name score at or above this is a match: the same name in another script or spelling, the
 * query's tokens all found in a longer record ("Ramesh" in "Ramesh Kumar Yadav" scores 0.9), or
 * one query token missing from a three-token query. One conflicting token in a two- or
 * three-token name (Ramesh Kumar / Suresh Kumar: 0.5) stays well below.
 */
export const MATCH_THRESHOLD = 0.8;

/**
 * Two different keys are the same token only when their similarity reaches this; below it the
 * pair counts as a conflict, not a weak match. With the costs below, one close-vowel change in
 * a 5-letter key passes (Ramesh/Romesh 0.9) and one consonant change does not (Rajesh/Rakesh
 * 0.7), while a consonant change in a long key does (Subramanian/Subramaniam 0.86). Kishan /
 * Krishna (an r and a vowel) sits exactly on it, and so, at the same price, does one vowel
 * replaced in a 5-letter key by a deletion and an insertion (Jamal/Jamil).
 */
const TOKEN_NEAR = 0.8;
/** An initial ("R.") against a token starting with that letter. */
const INITIAL_SIM = 0.9;
/** Credit for a query token the (shorter) record simply does not have. */
const MISSING_CREDIT = 0.5;
/** Credit for a missing initial, which says little ("R. Murugan" / "Murugan"). */
const MISSING_INITIAL_CREDIT = 0.8;
/** Weight of the record's tokens that the query did not mention. */
const EXTRA_PENALTY = 0.15;
/** Same tokens in another order (Kumar Ram / Ram Kumar): still a match, ranked just below. */
const ORDER_FACTOR = 0.97;
/** Keys are compared on at most this many letters, which bounds the edit-distance table. */
const MAX_COMPARED = 32;

const isVowelChar = (c: string | undefined): boolean =>
  c === 'a' || c === 'e' || c === 'i' || c === 'o' || c === 'u';

/** Vowel pairs that regional spellings swap (Verma/Varma, Mondal/Mandal, Romesh/Ramesh). */
const CLOSE_VOWELS = new Set(['ae', 'ea', 'ao', 'oa', 'ou', 'uo', 'ei', 'ie']);
/** Voiced/voiceless pairs that Tamil script does not distinguish (கணேசன் is Ganesan). */
const VOICING = new Set(['kg', 'gk', 'cj', 'jc', 'td', 'dt', 'pb', 'bp']);

function substitutionCost(x: string, y: string): number {
  if (x === y) return 0;
  const vx = isVowelChar(x);
  const vy = isVowelChar(y);
  if (vx && vy) return CLOSE_VOWELS.has(x + y) ? 0.5 : 1.25; // Jamal is not Jamil
  if (!vx && !vy && VOICING.has(x + y)) return 0.75;
  return 1.5;
}

/** Letters a–z are 0–25; anything else (digits) shares slot 26. */
const slot = (code: number): number => (code >= 0x61 && code <= 0x7a ? code - 0x61 : 26);
const SLOT_LETTERS = 'abcdefghijklmnopqrstuvwxyz#';
/** substitutionCost for every pair of slots, so the inner loop is a table lookup. */
const SUBSTITUTION = new Float64Array(27 * 27).map((_, n) =>
  substitutionCost(SLOT_LETTERS[Math.floor(n / 27)] as string, SLOT_LETTERS[n % 27] as string),
);

/**
 * Cost of inserting or deleting each letter of a key: cheap for a vowel inside the word or h
 * after its first letter (Kamla/Kamala, Rehman/Reman) and for r or y inside a cluster
 * (Kishan/Krishan, Mudaliar/Mudaliyar); more for a final vowel, since keys have already shed
 * the final a that spellings disagree on (Raju is not Raja, Saini not Sinha); dear for any
 * other consonant.
 */
function indelCosts(s: string, out: Float64Array): void {
  const last = s.length - 1;
  for (let i = 0; i <= last; i++) {
    const ch = s[i];
    if (isVowelChar(ch)) out[i] = i === last ? 1 : 0.5;
    else if (ch === 'h' && i > 0) out[i] = 0.5;
    else if ((ch === 'r' || ch === 'y') && i > 0 && !isVowelChar(s[i - 1])) out[i] = 0.5;
    else out[i] = 1.5;
  }
}

/** Swapping two neighbours: Pradeep/Pardeep, Agrawal/Agarwal, Prakash/Parkash. */
const TRANSPOSITION_COST = 0.5;

// Reusable buffers (keys are capped at MAX_COMPARED letters): three rows of the edit-distance
// table, the indel costs and letter slots of both keys.
let rowPrev2 = new Float64Array(MAX_COMPARED + 1);
let rowPrev = new Float64Array(MAX_COMPARED + 1);
let rowCur = new Float64Array(MAX_COMPARED + 1);
const indelA = new Float64Array(MAX_COMPARED);
const indelB = new Float64Array(MAX_COMPARED);
const slotsA = new Uint8Array(MAX_COMPARED);
const slotsB = new Uint8Array(MAX_COMPARED);

/**
 * Weighted Damerau–Levenshtein (optimal string alignment) cost between two keys. Weighted
 * rather than Jaro–Winkler: Indian given names share prefixes heavily (Rajesh, Rakesh, Ramesh),
 * which Jaro–Winkler rewards, and differ in one consonant, which this prices high.
 */
function editCost(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  indelCosts(a, indelA);
  indelCosts(b, indelB);
  for (let i = 0; i < n; i++) slotsA[i] = slot(a.charCodeAt(i));
  for (let j = 0; j < m; j++) slotsB[j] = slot(b.charCodeAt(j));
  // Typed-array reads below are in bounds by construction; `as number` only satisfies
  // noUncheckedIndexedAccess.
  rowPrev[0] = 0;
  for (let j = 1; j <= m; j++) rowPrev[j] = (rowPrev[j - 1] as number) + (indelB[j - 1] as number);
  for (let i = 1; i <= n; i++) {
    const ai = slotsA[i - 1] as number;
    const delA = indelA[i - 1] as number;
    rowCur[0] = (rowPrev[0] as number) + delA;
    for (let j = 1; j <= m; j++) {
      const bj = slotsB[j - 1] as number;
      let v = Math.min(
        (rowPrev[j] as number) + delA,
        (rowCur[j - 1] as number) + (indelB[j - 1] as number),
        (rowPrev[j - 1] as number) + (SUBSTITUTION[ai * 27 + bj] as number),
      );
      if (i > 1 && j > 1 && ai !== bj && ai === slotsB[j - 2] && slotsA[i - 2] === bj) {
        v = Math.min(v, (rowPrev2[j - 2] as number) + TRANSPOSITION_COST);
      }
      rowCur[j] = v;
    }
    [rowPrev2, rowPrev, rowCur] = [rowPrev, rowCur, rowPrev2];
  }
  return rowPrev[m] as number;
}

/** Similarity of two keys in [0, 1]: 1 − weighted edit cost / length of the longer key. */
function keySimilarity(a: string, b: string): number {
  if (a === b) return 1;
  const x = a.slice(0, MAX_COMPARED);
  const y = b.slice(0, MAX_COMPARED);
  if (x === '' || y === '') return 0;
  const longer = Math.max(x.length, y.length);
  // Each letter of length difference costs at least 0.5: skip the table when that alone fails.
  if (1 - (0.5 * Math.abs(x.length - y.length)) / longer < TOKEN_NEAR - 1e-9) return 0;
  return Math.max(0, 1 - editCost(x, y) / longer);
}

interface Tok {
  token: string;
  key: string;
  initial: boolean;
  /** Key of this token joined with the next one ('' when there is none). */
  joined: string;
}

const toks = (f: NameForm): Tok[] =>
  f.tokens.map((token, i) => ({
    token,
    key: f.keys[i] ?? '',
    initial: isInitial(token),
    joined: f.joined[i] ?? '',
  }));

/** Similarity of two tokens: 1 for equal keys, a near-match score, or 0 (a conflict). */
function tokenSimilarity(a: Tok, b: Tok): number {
  if (a.initial || b.initial) {
    if (a.initial && b.initial) return a.token === b.token ? 1 : 0;
    const [init, word] = a.initial ? [a, b] : [b, a];
    return word.token[0] === init.token || word.key[0] === init.key[0] ? INITIAL_SIM : 0;
  }
  if (a.key === b.key) return 1;
  const s = keySimilarity(a.key, b.key);
  return s >= TOKEN_NEAR - 1e-9 ? s : 0;
}

/**
 * Joins two neighbouring tokens that the other side writes as one word (Raj Kumar / Rajkumar,
 * Lakshmi Narayan / Laxminarayan, D Souza / DSouza, Shiv Kumar Kumar / शिवकुमार कुमार), unless
 * this side also has the joined word as a token of its own.
 */
function mergeCompounds(side: Tok[], other: readonly Tok[]): Tok[] {
  const otherKeys = new Set(other.filter((t) => !t.initial).map((t) => t.key));
  const ownKeys = new Set(side.map((t) => t.key));
  const out: Tok[] = [];
  for (let i = 0; i < side.length; i++) {
    const t = side[i] as Tok;
    const n = side[i + 1];
    if (n && t.joined !== '' && otherKeys.has(t.joined) && !ownKeys.has(t.joined)) {
      out.push({ token: t.token + n.token, key: t.joined, initial: false, joined: '' });
      i++;
      continue;
    }
    out.push(t);
  }
  return out;
}

/**
 * Score of one form of the query against one form of the candidate. Tokens are paired greedily,
 * best similarity first (ties: nearer positions first), each token used once. Then every query
 * token counts its similarity if paired; an unpaired query token facing an unpaired candidate
 * token is a conflict (0); one the candidate has no token left for is missing
 * (MISSING_CREDIT, or MISSING_INITIAL_CREDIT for an initial). Candidate tokens left over scale
 * the score down by EXTRA_PENALTY times their share of the candidate. No two full tokens
 * paired: 0.
 */
function scoreForms(qf: NameForm, cf: NameForm): number {
  const q0 = toks(qf);
  const c0 = toks(cf);
  if (q0.length === 0 || c0.length === 0) return 0;
  const q = mergeCompounds(q0, c0);
  const c = mergeCompounds(c0, q);

  const pairs: [number, number, number][] = [];
  for (let i = 0; i < q.length; i++) {
    for (let j = 0; j < c.length; j++) {
      const s = tokenSimilarity(q[i] as Tok, c[j] as Tok);
      if (s > 0) pairs.push([i, j, s]);
    }
  }
  pairs.sort((x, y) => y[2] - x[2] || Math.abs(x[0] - x[1]) - Math.abs(y[0] - y[1]) || x[0] - y[0]);

  const usedQ = new Array<boolean>(q.length).fill(false);
  const usedC = new Array<boolean>(c.length).fill(false);
  const matchedJ = new Array<number>(q.length).fill(-1);
  let sum = 0;
  let matched = 0;
  let whole = 0; // pairs of two full tokens
  let weakestWhole = 1;
  let initialSum = 0; // similarity of the pairs with an initial on either side
  for (const [i, j, s] of pairs) {
    if (usedQ[i] || usedC[j]) continue;
    usedQ[i] = usedC[j] = true;
    matchedJ[i] = j;
    matched++;
    if (!(q[i] as Tok).initial && !(c[j] as Tok).initial) {
      whole++;
      sum += s;
      weakestWhole = Math.min(weakestWhole, s);
    } else initialSum += s;
  }

  // Initials only refine a match: "L. Ravi" is not Lokesh, "R. M." is nobody in particular.
  if (whole === 0) return 0;
  // ...and they vouch only as far as the full tokens do: beside an exact token ("R. Kumar" for
  // Ramesh Kumar) an initial counts in full; beside a near match it counts that much less, so
  // that "Sven Nakamura" is not "N. Swain" (Sven/Swain is a near match at the bare threshold,
  // and nothing of Nakamura but its first letter is there).
  sum += initialSum * weakestWhole;
  const unmatchedQ = q.length - matched;
  const unmatchedC = c.length - matched;
  const conflicts = Math.min(unmatchedQ, unmatchedC);
  const missing = unmatchedQ - conflicts;
  const extra = unmatchedC - conflicts;
  // Which query tokens are the missing ones is arbitrary; count unmatched initials first.
  const unmatchedInitials = q.filter((t, i) => t.initial && !usedQ[i]).length;
  const missingInitials = Math.min(missing, unmatchedInitials);
  const credit =
    MISSING_INITIAL_CREDIT * missingInitials + MISSING_CREDIT * (missing - missingInitials);
  let score = (sum + credit) / q.length;
  score *= 1 - (EXTRA_PENALTY * extra) / c.length;

  let lastJ = -1;
  for (const j of matchedJ) {
    if (j < 0) continue;
    if (j < lastJ) {
      score *= ORDER_FACTOR;
      break;
    }
    lastJ = j;
  }
  return score;
}

/**
 * How well `candidate` matches `query`, in [0, 1]: 1 for the same name in any script or
 * spelling; ≥ MATCH_THRESHOLD for a match. Order-insensitive at the token level (a swap costs
 * 3%), tolerant of missing tokens on either side (query tokens absent from the candidate cost
 * more than extra candidate tokens), and of aliases (the best pair of forms counts).
 * Asymmetric: "Ramesh" finds "Ramesh Kumar Yadav" (0.9), not the other way round (0.67).
 * Pass a `prepareName` result to score one query against many candidates without re-parsing.
 */
export function nameScore(query: string | PreparedName, candidate: string | PreparedName): number {
  const q = typeof query === 'string' ? prepareName(query) : query;
  const c = typeof candidate === 'string' ? prepareName(candidate) : candidate;
  let best = 0;
  for (const qf of q.forms) for (const cf of c.forms) best = Math.max(best, scoreForms(qf, cf));
  return Math.round(best * 1e6) / 1e6;
}

// ---------------------------------------------------------------------------------------------
// Index keys
// ---------------------------------------------------------------------------------------------

/** Length of the key prefix indexed alongside the full key. */
const PREFIX_LENGTH = 4;

/** Voiced stops as their voiceless pair, for the skeleton key: Tamil script has one letter. */
const DEVOICE: Record<string, string> = { g: 'k', j: 'c', d: 't', b: 'p' };

/** A key's consonants, voicing folded and doubles collapsed: "kanesan" and "ganesan" → "knsn". */
function skeleton(key: string): string {
  return key
    .replace(/[aeiou]/g, '')
    .replace(/[gjdb]/g, (ch) => DEVOICE[ch] ?? ch)
    .replace(/(.)\1+/g, '$1');
}

/**
 * Short keys for an index, so a store can pre-select candidates with a plain indexed lookup
 * before scoring them:
 *
 *   - store:  one row (person_id, key) per key of searchKeys(name) for the name and every
 *             alias, with an index on key, and KEY_VERSION alongside (re-index when it changes);
 *   - search: candidates = SELECT DISTINCT person_id WHERE key IN (searchKeys(query)), then
 *             nameScore(prepareName(query), candidate) for each, keep ≥ MATCH_THRESHOLD, sort.
 *
 * Per token (initials are not indexed: a letter selects nothing): its phonetic key, the key's
 * first four letters (finds near matches that change the end: Subramanian/Subramaniam), and
 * '~' + its consonant skeleton with voicing folded (finds near matches that change a vowel or
 * voicing: Mohanty/Mahanti, Ganesan/கணேசன்), when that has three letters or the key four;
 * plus the key of each pair of neighbouring tokens joined, so "Raj Kumar" and "Rajkumar" meet.
 * A near match that changes both the first four letters and the skeleton of every token
 * (Kishan alone against Krishna) is not pre-selected.
 *
 * Common tokens (Kumar, Singh, Devi, Khan) select a large share of any State's records, so
 * stores read a query's rarest keys first and cap what each key brings (`store/preselect.ts`).
 */
export function searchKeys(name: string): string[] {
  const keys = new Set<string>();
  for (const form of prepareName(name).forms) {
    form.tokens.forEach((token, i) => {
      const next = form.tokens[i + 1];
      // "D Souza" is also "DSouza"; two initials joined ("rk") select nothing useful.
      if (next !== undefined && !(isInitial(token) && isInitial(next))) {
        keys.add(form.joined[i] ?? '');
      }
      if (isInitial(token)) return;
      const key = form.keys[i] ?? '';
      keys.add(key);
      if (key.length > PREFIX_LENGTH) keys.add(key.slice(0, PREFIX_LENGTH));
      const bones = skeleton(key);
      if (bones.length >= 3 || (bones.length === 2 && key.length >= 4)) keys.add(`~${bones}`);
    });
  }
  keys.delete('');
  return [...keys];
}
