import { STATE_CODES } from '@cctns/pki';
import { describe, expect, it } from 'vitest';
import { GENERATOR_STATES, generatePersons } from '../../../tests/support/indian-names.js';
import {
  MATCH_THRESHOLD,
  nameScore,
  normalizeName,
  phoneticKey,
  prepareName,
  searchKeys,
  transliterate,
} from './names.js';

/** Milliseconds `fn` takes. */
function timed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

const key = (latin: string): string => phoneticKey(latin.toLowerCase());

describe('transliterate', () => {
  it.each([
    ['राम कुमार', 'ram kumar'],
    ['सुरेश', 'suresh'],
    ['मोहम्मद', 'mohammad'],
    ['सुनील यादव', 'sunil yadav'],
    ['लक्ष्मी', 'lakshmi'],
    ['श्रीवास्तव', 'shrivastav'],
    ['चौधरी', 'chaudhri'],
    ['प्रमोद', 'pramod'],
  ])('writes Devanagari %s as %s', (text, latin) => {
    expect(transliterate(text)).toBe(latin);
  });

  it.each([
    ['राम', 'ram'], // final inherent a dropped
    ['मिश्र', 'mishra'], // ... but not after a conjunct
    ['कृष्ण', 'krishna'],
    ['कमला', 'kamla'], // V C a C V: the medial schwa goes
    ['अरविंद', 'arvind'],
    ['जगदीश', 'jagdish'],
    ['कमलनाथ', 'kamalnath'], // right to left: kamal-nath, not kamla-nath
    ['मनमोहन', 'manmohan'],
    ['सलमान', 'salman'],
    ['रामप्रसाद', 'ramprasad'], // before a stop + r
    ['सरस्वती', 'sarasvati'], // not before a conjunct with a sibilant
    ['न', 'na'], // a lone consonant keeps its vowel
  ])('deletes schwas the way Hindi speech does: %s → %s', (text, latin) => {
    expect(transliterate(text)).toBe(latin);
  });

  it('writes anusvara and chandrabindu as the nasal the next consonant needs', () => {
    expect(transliterate('संजय')).toBe('sanjay');
    expect(transliterate('चंपा')).toBe('champa'); // before a labial
    expect(transliterate('संभाजी')).toBe('sambhaji');
    expect(transliterate('सिंह')).toBe('singh'); // before ह in the north
    expect(transliterate('चाँद')).toBe('chand');
    expect(transliterate('రాంబాబు')).toBe('rambabu');
    expect(transliterate('నరసింహ')).toBe('narasimha'); // before హ in the south
  });

  it('reads nukta letters, precomposed or not, as the Urdu sounds', () => {
    expect(transliterate('ज़ाकिर ख़ान')).toBe('zakir khan');
    expect(transliterate('फ़ातिमा')).toBe('fatima');
    expect(transliterate('इक़बाल')).toBe('iqbal');
    // U+095B (precomposed ज़) and U+091C U+093C give the same.
    expect(transliterate('\u095b\u093e\u0915\u093f\u0930')).toBe('zakir');
    expect(transliterate('\u091c\u093c\u093e\u0915\u093f\u0930')).toBe('zakir');
  });

  it('writes visarga as h and ज्ञ as gy', () => {
    expect(transliterate('दुःख')).toBe('duhkh');
    expect(transliterate('ज्ञान')).toBe('gyan');
  });

  it.each([
    ['সৌরভ গঙ্গোপাধ্যায়', 'saurabh gangopadhyay'], // Bengali
    ['অরিজিৎ', 'arijit'], // khanda ta
    ['যশোদা', 'jashoda'], // word-initial য is j
    ['বিশ্বাস', 'bishbas'],
    ['ਗੁਰਪ੍ਰੀਤ ਸਿੰਘ', 'gurprit singh'], // Gurmukhi, tippi
    ['ਸਿੱਧੂ', 'siddhu'], // addak doubles
    ['ਢਿੱਲੋਂ', 'dhillon'],
    ['ਸ਼ਰਮਾ', 'sharma'], // ਸ਼ (a nukta letter)
    ['નરેન્દ્ર મોદી', 'narendra modi'], // Gujarati
    ['કૃપા', 'krupa'], // Gujarati ઋ is ru
    ['રમેશભાઈ', 'rameshbhai'],
    ['ବିଜୟ କୁମାର ମହାନ୍ତି', 'bijay kumar mahanti'], // Odia
    ['ବିଶ୍ୱନାଥ', 'bishwanath'], // ୱ
    ['వెంకట రమణ', 'venkata ramana'], // Telugu keeps the final vowel
    ['శ్రీనివాస్ రెడ్డి', 'shrinivas reddi'],
    ['ಸಿದ್ದರಾಮಯ್ಯ', 'siddaramayya'], // Kannada
    ['ಮಂಜುನಾಥ', 'manjunatha'],
    ['മോഹൻലാൽ', 'mohanlal'], // Malayalam chillu letters
    ['മോഹന്\u200dലാല്\u200d', 'mohanlal'], // the older chillu: virama + ZWJ
    ['ശ്രീധരൻ', 'shridharan'],
    ['സൗമ്യ', 'saumya'], // au written with the length mark alone
  ])('writes %s as %s', (text, latin) => {
    expect(transliterate(text)).toBe(latin);
  });

  it.each([
    ['முருகன்', 'murugan'], // intervocalic k is g
    ['செல்வம்', 'selvam'], // initial ச is s
    ['கார்த்திக்', 'karthik'], // த is th
    ['முத்து', 'muthu'],
    ['அன்பழகன்', 'anbazhagan'], // ழ is zh, p after a nasal is b
    ['பாண்டியன்', 'pandiyan'], // ட after a nasal is d
    ['வெற்றி', 'vetri'], // ற்ற is tr
    ['தென்றல்', 'thendral'], // ன்ற is ndr
    ['பிச்சை', 'pichai'],
    ['ஃபாத்திமா', 'fathima'], // aytham + ப is f
    ['ஞானம்', 'gnanam'],
  ])('writes Tamil %s as %s, voicing stops by position', (text, latin) => {
    expect(transliterate(text)).toBe(latin);
  });

  it('composes split vowel signs first (NFC), so both encodings agree', () => {
    // கொ as U+0B95 U+0BCA and as U+0B95 U+0BC6 U+0BBE.
    expect(transliterate('\u0b95\u0bca\u0b9f\u0bbf')).toBe(
      transliterate('\u0b95\u0bc6\u0bbe\u0b9f\u0bbf'),
    );
    expect(transliterate('\u0b95\u0bca\u0b9f\u0bbf')).toBe('kodi');
  });

  it('lower-cases Latin, strips diacritics and turns punctuation into spaces', () => {
    expect(transliterate('  Śarmā,  DR. ')).toBe('sarma dr');
    expect(transliterate('MOHD.IRFAN')).toBe('mohd irfan');
    expect(transliterate('Müller-Lüdenscheidt')).toBe('muller ludenscheidt');
    expect(transliterate('Straße Æsir')).toBe('strasse aesir');
    expect(transliterate('ＲＡＭ　ＫＵＭＡＲ')).toBe('ram kumar'); // full width
  });

  it('drops apostrophes inside a word: D’Souza is one word', () => {
    expect(transliterate("D'Souza")).toBe('dsouza');
    expect(transliterate('D’Costa')).toBe('dcosta');
  });

  it('separates words at a change of script and drops emoji and other scripts', () => {
    expect(transliterate('रामKumar')).toBe('ram kumar');
    expect(transliterate('Kumarराम')).toBe('kumar ram');
    expect(transliterate('राम😀Kumar')).toBe('ram kumar');
    expect(transliterate('محمد Ram 王')).toBe('ram');
  });

  it('writes Indian digits as ASCII digits', () => {
    expect(transliterate('१२३ ௧௨')).toBe('123 12');
  });
});

describe('phoneticKey', () => {
  it.each([
    [['Mohammad', 'Mohammed', 'Muhammad', 'Mohamed', 'Mohd', 'Md', 'मोहम्मद']],
    [['Sharma', 'Sharmaa', 'शर्मा', 'Śarmā']],
    [['Shrivastava', 'Srivastava', 'Shrivastav', 'Srivastav', 'श्रीवास्तव']],
    [['Chaudhary', 'Choudhary', 'Chaudhari', 'Chowdhury', 'Choudhury', 'चौधरी', 'చౌదరి']],
    [['Lakshmi', 'Laxmi', 'Lakshmee', 'लक्ष्मी', 'லக்ஷ்மி']],
    [['Kumar', 'Kumaar', 'Kr', 'कुमार']],
    [['Verma', 'Varma', 'वर्मा']],
    [['Singh', 'Sing', 'सिंह', 'ਸਿੰਘ']],
    [['Yadav', 'Yadava', 'यादव']],
    [['Bhattacharya', 'Bhattacharjee', 'Bhattacharyya', 'ভট্টাচার্য']],
    [['Pandey', 'Pande', 'Pandeya', 'पांडेय']],
    [['Ravi', 'Rawi', 'Rabi', 'रवि']],
    [['Vijay', 'Wijay', 'Bijay', 'Vijai', 'विजय', 'ବିଜୟ']],
    [['Reddy', 'Reddi', 'రెడ్డి']],
    [['Iyer', 'Ayyar', 'Aiyar', 'ஐயர்']],
    [['Thakur', 'Takur', 'ठाकुर']],
    [['Jha', 'Jhaa', 'झा']],
    [['Sourav', 'Saurav', 'Saurabh', 'সৌরভ']],
    [['Ganguly', 'Ganguli', 'Gangopadhyay', 'গঙ্গোপাধ্যায়']],
    [['Banerjee', 'Bandyopadhyay', 'বন্দ্যোপাধ্যায়']],
    [['Biswas', 'Vishwas', 'বিশ্বাস']],
    [['Zakir', 'Jakir', 'ज़ाकिर', 'जाकिर']],
    [['Qureshi', 'Kureshi', 'Quraishi']],
    [['Kaur', 'Kour', 'ਕੌਰ']],
    [['Siddaramaiah', 'ಸಿದ್ದರಾಮಯ್ಯ']],
    [['Rameshbhai', 'Ramesh', 'રમેશભાઈ']],
    [['Dnyaneshwar', 'Gyaneshwar', 'ज्ञानेश्वर']],
    [['Palani', 'Pazhani', 'பழனி']],
    [['Sai', 'Sayi', 'సాయి']],
  ])('gives one key to %j', (spellings) => {
    const keys = spellings.map((s) => phoneticKey(transliterate(s)));
    expect(new Set(keys).size, keys.join(' ')).toBe(1);
  });

  it.each([
    ['Ramesh', 'Suresh'],
    ['Sunil', 'Anil'],
    ['Rakesh', 'Mukesh'],
    ['Sharma', 'Verma'],
    ['Rajesh', 'Rakesh'],
    ['Sinha', 'Singh'],
    ['Aditya', 'Aditi'],
    ['Sweta', 'Seth'],
  ])('keeps %s and %s apart', (a, b) => {
    expect(key(a)).not.toBe(key(b));
  });

  it('transliterates input that is not already lower-case ASCII', () => {
    expect(phoneticKey('मोहम्मद')).toBe(key('mohammad'));
    expect(phoneticKey('YADAV')).toBe(key('yadav'));
    expect(phoneticKey('')).toBe('');
    expect(phoneticKey('😀')).toBe('');
  });
});

describe('normalizeName', () => {
  it('transliterates, splits and keys', () => {
    expect(normalizeName('राम कुमार')).toEqual({
      tokens: ['ram', 'kumar'],
      keys: [key('ram'), key('kumar')],
    });
  });

  it.each([
    ['Shri Ram Kumar', ['ram', 'kumar']],
    ['Smt. Sunita Devi', ['sunita', 'devi']],
    ['Late Sh. Ram Lal', ['ram', 'lal']],
    ['Dr. (Mrs.) Sunita Sharma', ['sunita', 'sharma']],
    ['Kumari Pooja', ['pooja']],
    ['Mst. Rahima Khatun', ['rahima', 'khatun']],
    ['श्रीमती सुनीता देवी', ['sunita', 'devi']],
    ['स्व. राम लाल', ['ram', 'lal']],
    ['Thiru Murugan', ['murugan']],
  ])('drops the leading titles of %s', (name, tokens) => {
    expect(normalizeName(name).tokens).toEqual(tokens);
  });

  it('keeps a title that is the whole name', () => {
    expect(normalizeName('Kumari').tokens).toEqual(['kumari']);
  });

  it('drops words of respect and Kumari after the given name', () => {
    expect(normalizeName('Ramesh Bhai Patel').tokens).toEqual(['ramesh', 'patel']);
    expect(normalizeName('Sunita Kumari').tokens).toEqual(['sunita']);
    expect(normalizeName('Sita Bai').tokens).toEqual(['sita']);
  });

  it.each([
    ['Ramesh Kumar S/O Suresh Kumar', ['ramesh', 'kumar']],
    ['Sita w/o Ram', ['sita']],
    ['Pooja D / O Ram Lal', ['pooja']],
    ['Ramesh son of Suresh', ['ramesh']],
    ['राम पुत्र श्याम', ['ram']],
  ])('ends the name at a relation: %s', (name, tokens) => {
    expect(normalizeName(name).tokens).toEqual(tokens);
  });

  it('keeps the name when nothing comes before the relation', () => {
    expect(normalizeName('S/O Suresh').tokens).toEqual(['s', 'o', 'suresh']);
  });

  it('lists the tokens of every alias', () => {
    expect(normalizeName('Ramesh @ Pappu').tokens).toEqual(['ramesh', 'pappu']);
    expect(normalizeName('Ramesh urf Pappu').tokens).toEqual(['ramesh', 'pappu']);
    expect(normalizeName('रमेश उर्फ़ पप्पू').tokens).toEqual(['ramesh', 'pappu']);
  });

  it('splits initials written together and expands abbreviations', () => {
    expect(normalizeName('R.K. Sharma').tokens).toEqual(['r', 'k', 'sharma']);
    expect(normalizeName('RK Sharma').tokens).toEqual(['r', 'k', 'sharma']);
    expect(normalizeName('Md Irfan').keys).toEqual([key('mohammad'), key('irfan')]);
  });

  it('caps a name at 16 tokens', () => {
    expect(normalizeName('ab '.repeat(100)).tokens).toHaveLength(16);
  });
});

describe('nameScore', () => {
  it.each([
    ['सुनील यादव', 'Sunil Yadav'],
    ['मोहम्मद इरफ़ान', 'Mohd Irfan'],
    ['राम कुमार', 'Ram Kumaar'],
    ['श्रीवास्तव', 'Shrivastav'],
    ['ਗੁਰਪ੍ਰੀਤ ਸਿੰਘ', 'Gurpreet Singh'],
    ['ਹਰਜੀਤ ਕੌਰ', 'Harjeet Kaur'],
    ['முருகன்', 'Murugan'],
    ['செந்தில்', 'Senthil'],
    ['வேல்முருகன்', 'Velmurugan'],
    ['వెంకట రమణ', 'Venkata Ramana'],
    ['శ్రీనివాస్ రెడ్డి', 'Srinivas Reddy'],
    ['ಸಿದ್ದರಾಮಯ್ಯ', 'Siddaramaiah'],
    ['മോഹൻലാൽ', 'Mohanlal'],
    ['ശ്രീധരൻ', 'Sreedharan'],
    ['নরেন্দ্র মোদী', 'Narendra Modi'],
    ['નરેન્દ્ર મોદી', 'Narendra Modi'],
    ['ବିଜୟ କୁମାର', 'Vijay Kumar'],
    // Ganguly is the anglicised form of the Bengali surname Gangopadhyay (as Banerjee is of
    // Bandyopadhyay): the table of equivalent spellings joins them, so Sourav Ganguly written
    // in Bengali script is a full match, not merely a near one.
    ['সৌরভ গঙ্গোপাধ্যায়', 'Sourav Ganguly'],
  ])('gives 1 for the same name in another script: %s / %s', (a, b) => {
    expect(nameScore(a, b)).toBe(1);
    expect(nameScore(b, a)).toBe(1);
  });

  it.each([
    ['Mohammad Irfan', 'Muhammed Irfaan'],
    ['Sharma', 'SHARMAA'],
    ['Shrivastava', 'Srivastav'],
    ['Chaudhary', 'Chowdhury'],
    ['Lakshmi Devi', 'Laxmi Devi'],
    ['Ravi Verma', 'Rawi Varma'],
    ['Pandey', 'Pandeya'],
    ['Iyer', 'Ayyar'],
    ['Vikas', 'Bikash'],
    ['Rajkumar Singh', 'Raj Kumar Singh'],
    ['Laxminarayan', 'Lakshmi Narayan'],
    ["D'Souza", 'D Souza'],
    ['Shri Ram Kumar', 'Ram Kumar'],
    ['Smt. Sunita Devi', 'Sunita Devi'],
    ['Rameshbhai Patel', 'Ramesh Patel'],
  ])('gives 1 for a spelling variant: %s / %s', (a, b) => {
    expect(nameScore(a, b)).toBe(1);
  });

  it('ignores case', () => {
    expect(nameScore('RAMESH KUMAR', 'ramesh kumar')).toBe(1);
    expect(nameScore('rAmEsH', 'Ramesh')).toBe(1);
  });

  it.each([
    ['Krishna', 'Krishan'],
    ['Krishan', 'Kishan'],
    ['Krishna', 'Kishan'],
    ['Mohanty', 'Mahanti'],
    ['Subramanian', 'Subramaniam'],
    ['Pradeep', 'Pardeep'],
    ['Agarwal', 'Agrawal'],
    ['Kamla', 'Kamala'],
    ['Ramesh', 'Romesh'],
    ['Ganesan', 'கணேசன்'], // Tamil writes g and k with one letter
    ['Harbhajan', 'ਹਰਭਜਨ'], // schwa deletion misses the compound boundary
  ])('scores a near match at or above the threshold but below 1: %s / %s', (a, b) => {
    const s = nameScore(a, b);
    expect(s).toBeGreaterThanOrEqual(MATCH_THRESHOLD);
    expect(s).toBeLessThan(1);
  });

  it.each([
    ['Ramesh', 'Suresh'],
    ['Sunil', 'Anil'],
    ['Rakesh', 'Mukesh'],
    ['Sharma', 'Verma'],
    ['Rajesh', 'Rakesh'],
    ['Ramesh', 'Mahesh'],
    ['Sunil', 'Sonal'],
    ['Vijay', 'Ajay'],
    ['Gita', 'Sita'],
    ['Mina', 'Mona'],
    ['Sinha', 'Singh'],
    ['Raj', 'Ram'],
    ['Ramesh Kumar', 'Suresh Kumar'],
    ['Sunil Yadav', 'Anil Yadav'],
    ['Rajesh Kumar Sharma', 'Rakesh Kumar Sharma'],
    ['Ramesh Kumar Yadav', 'Suresh Kumar Yadav'],
    ['सुनील यादव', 'अनिल यादव'],
    ['Mohd Irfan', 'Mohd Imran'],
  ])('does not match %s with %s', (a, b) => {
    expect(nameScore(a, b)).toBeLessThan(MATCH_THRESHOLD);
    expect(nameScore(b, a)).toBeLessThan(MATCH_THRESHOLD);
  });

  it('is order-insensitive, ranking the written order just above', () => {
    expect(nameScore('Kumar Ram', 'Ram Kumar')).toBeGreaterThanOrEqual(0.95);
    expect(nameScore('Kumar Ram', 'Ram Kumar')).toBeLessThan(nameScore('Ram Kumar', 'Ram Kumar'));
    expect(nameScore('YADAV SUNIL', 'सुनील यादव')).toBeGreaterThanOrEqual(0.95);
  });

  it('finds a short query in a longer record, penalising the extra tokens moderately', () => {
    expect(nameScore('Ramesh', 'Ramesh Kumar Yadav')).toBeCloseTo(0.9, 6);
    expect(nameScore('Ramesh Yadav', 'Ramesh Kumar Yadav')).toBeCloseTo(0.95, 6);
    expect(nameScore('Ramesh', 'Ramesh Yadav')).toBeGreaterThan(
      nameScore('Ramesh', 'Ramesh Kumar Yadav'),
    );
  });

  it('penalises query tokens the record lacks more than extra record tokens', () => {
    expect(nameScore('Ram Kumar Yadav', 'Ram Kumar')).toBeGreaterThanOrEqual(MATCH_THRESHOLD);
    expect(nameScore('Ramesh Kumar Yadav', 'Ramesh')).toBeLessThan(MATCH_THRESHOLD);
  });

  it('matches initials with the names they stand for', () => {
    expect(nameScore('R. K. Sharma', 'Rajesh Kumar Sharma')).toBeGreaterThanOrEqual(0.9);
    expect(nameScore('RK Sharma', 'Rajesh Kumar Sharma')).toBeGreaterThanOrEqual(0.9);
    expect(nameScore('S. K. Sharma', 'Rajesh Kumar Sharma')).toBeLessThan(MATCH_THRESHOLD);
    expect(nameScore('R. Murugan', 'Murugan')).toBeGreaterThanOrEqual(MATCH_THRESHOLD);
    expect(nameScore('V. Murugan', 'Bijay Murugan')).toBeGreaterThanOrEqual(0.9);
  });

  it('does not match on initials alone', () => {
    expect(nameScore('Lokesh', 'L. Ravi')).toBe(0);
    expect(nameScore('R. Murugan', 'M. Ravi')).toBe(0);
    expect(nameScore('Iqbal', 'Y. Manjula')).toBe(0);
    expect(nameScore('R. K.', 'Rajesh Kumar')).toBe(0);
  });

  it('does not match a foreign name that shares no skeleton of its own with the record', () => {
    // The record the national benchmark matched (Odisha, seed 7): Sven/Swain is a near match at
    // the bare threshold, and Nakamura met only the initial N.; it scored 0.82.
    const record = 'ନିରଞ୍ଜନ ସ୍ୱାଇଁ @ N. Swain @ Tinku';
    expect(nameScore('Sven Nakamura', record)).toBeLessThan(MATCH_THRESHOLD);
    expect(nameScore('Sven Nakamura', 'N. Swain')).toBeLessThan(MATCH_THRESHOLD);
    expect(nameScore('Sven Nakamura', 'N. K. Swain')).toBeLessThan(MATCH_THRESHOLD);
    // The record is still found by its own names, initials included.
    expect(nameScore('Niranjan Swain', record)).toBe(1);
    expect(nameScore('N. Swain', record)).toBe(1);
    expect(nameScore('Niranjan Swain', 'N. Swain')).toBeGreaterThanOrEqual(MATCH_THRESHOLD);
  });

  it('matches no name from nowhere near India with any generated person', () => {
    const given =
      'Bjorn Sven Olaf Wojciech Grzegorz Hiroshi Kenji Takeshi Ingrid Astrid Eneko Iker';
    const family =
      'Kowalczyk Szymanski Brzezinski Lindqvist Fjellstrom Haugen Yamaguchi Takahashi Nakamura Etxeberria Goikoetxea Wroblewski';
    const queries = given
      .split(' ')
      .flatMap((g) => family.split(' ').map((f) => `${g} ${f}`))
      .map((q) => ({ q, prepared: prepareName(q), keys: new Set(searchKeys(q)) }));
    const matched: string[] = [];
    for (const state of ['OD', 'UP', 'TN', 'WB', 'PB', 'KL', 'MH', 'AS']) {
      for (const p of generatePersons(1_500, 7, { state })) {
        for (const n of [p.name, ...p.aliases]) {
          const keys = searchKeys(n);
          // As a store pre-selects: only records sharing a key are scored.
          for (const { q, prepared, keys: qk } of queries)
            if (keys.some((k) => qk.has(k)) && nameScore(prepared, n) >= MATCH_THRESHOLD)
              matched.push(`${q} → ${n}`);
        }
      }
    }
    expect(matched).toEqual([]);
  });

  it('scores the best pair of aliases', () => {
    expect(nameScore('Ramesh Yadav @ Pappu', 'Pappu')).toBe(1);
    expect(nameScore('Pappu', 'Ramesh Yadav alias Pappu')).toBe(1);
    expect(nameScore('Ramesh Yadav urf Pappu', 'Ramesh Yadav')).toBe(1);
    expect(nameScore('Ramesh Yadav @ Pappu', 'Suresh')).toBe(0);
  });

  it('scores the person, not the father named after S/O', () => {
    expect(nameScore('Ramesh S/O Suresh', 'Ramesh')).toBe(1);
    expect(nameScore('Ramesh S/O Suresh', 'Suresh')).toBe(0);
  });

  it('gives the same scores for prepared names', () => {
    const q = prepareName('Mohd Irfan Khan');
    for (const c of ['मोहम्मद इरफ़ान', 'Irfan Khan', 'Imran Khan', 'Khan Irfan @ Munna']) {
      expect(nameScore(q, prepareName(c))).toBe(nameScore('Mohd Irfan Khan', c));
      expect(nameScore(q, c)).toBe(nameScore('Mohd Irfan Khan', c));
    }
  });

  it('gives 0 when either side has no name', () => {
    expect(nameScore('', 'Ram')).toBe(0);
    expect(nameScore('Ram', '')).toBe(0);
    expect(nameScore('', '')).toBe(0);
    expect(nameScore('...', '😀')).toBe(0);
  });
});

describe('searchKeys', () => {
  it('indexes each token’s key, its prefix, its consonant skeleton and joined neighbours', () => {
    const keys = searchKeys('Ramesh Kumar Yadav');
    // yadab's skeleton folds voicing: ~ytp.
    for (const k of ['rames', 'rame', '~rms', 'kumar', 'kuma', '~kmr', 'yadab', 'yada', '~ytp']) {
      expect(keys).toContain(k);
    }
    expect(keys).toContain(key('rameshkumar'));
    expect(keys).toContain(key('kumaryadav'));
  });

  it('indexes aliases but not initials', () => {
    const keys = searchKeys('R. K. Sharma @ Pappu');
    expect(keys).toContain(key('sharma'));
    expect(keys).toContain(key('pappu'));
    expect(keys).not.toContain('r');
    expect(keys).not.toContain('k');
    expect(keys).not.toContain(key('rk'));
  });

  it('gives no keys for no name', () => {
    expect(searchKeys('')).toEqual([]);
    expect(searchKeys('!!! 😀')).toEqual([]);
  });

  it.each([
    ['Mohanty', 'Mahanti'],
    ['Subramanian', 'Subramaniam'],
    ['Rajkumar', 'Raj Kumar'],
    ['Krishna', 'Krishan'],
    ['Ramesh', 'Ramesh Kumar Yadav'],
    ['सुनील यादव', 'Sunil Yadav'],
    ['Kamla', 'Kamala'],
    ["D'Souza", 'D Souza'],
    ['Ganesan', 'கணேசன்'],
    ['Mamata', 'মমতা'],
  ])('pre-selects %s for %s (a shared key)', (a, b) => {
    const shared = searchKeys(a).filter((k) => searchKeys(b).includes(k));
    expect(shared.length).toBeGreaterThan(0);
  });
});

describe('robustness', () => {
  const nasty = [
    '',
    '   ',
    '!!!...///',
    '😀🚨👮',
    '\u0000\u0001',
    '\ud800', // lone surrogate
    '\u094d\u0915', // virama with nothing before it
    '\u093e\u0905\u093c\u0902', // a vowel sign, a vowel, a stray nukta, an anusvara
    '\u200d\u200c',
    'राम Ram রাম ராம் రామ ರಾಮ രാമ ਰਾਮ રામ ରାମ',
    'Mohd. @ @ urf alias S/O W/O',
    'ॐ ॰ ।',
  ];

  it.each(nasty.map((s) => [JSON.stringify(s), s]))('never throws on %s', (_, s) => {
    expect(() => transliterate(s)).not.toThrow();
    expect(() => normalizeName(s)).not.toThrow();
    expect(() => searchKeys(s)).not.toThrow();
    const score = nameScore(s, 'Ram Kumar');
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThanOrEqual(1);
    expect(nameScore(s, s)).toBeLessThanOrEqual(1);
  });

  const long: [string, string][] = [
    ['Latin', 'Ramesh Kumar '.repeat(800).slice(0, 10_000)],
    ['one Latin word', 'a'.repeat(10_000)],
    ['one Devanagari word', 'क'.repeat(10_000)],
    ['conjuncts', 'क्'.repeat(5_000)],
    ['emoji', '😀'.repeat(5_000)],
    ['punctuation', '/'.repeat(10_000)],
    ['relations', 's/o '.repeat(2_500)],
    ['aliases', '@ '.repeat(5_000)],
    ['near-relation', 's /'.repeat(3_333)],
    ['mixed', 'रामKumar😀'.repeat(1_000)],
  ];

  it.each(long)('handles 10,000 characters of %s quickly', (_, s) => {
    expect(s.length).toBeGreaterThanOrEqual(9_000);
    // Linear work: a few milliseconds; the budget is for a loaded CI machine.
    const ms = timed(() => {
      nameScore(s, s);
      nameScore(s, 'Ramesh Kumar');
      searchKeys(s);
      phoneticKey(s);
    });
    expect(ms).toBeLessThan(500);
  });

  it('scores 10,000 name pairs well within a second', () => {
    const persons = generatePersons(200, 11);
    const names = persons.map((p) => p.name);
    let n = 0;
    const ms = timed(() => {
      for (const a of names.slice(0, 50)) for (const b of names) n += nameScore(a, b) >= 0 ? 1 : 0;
    });
    expect(n).toBe(10_000);
    expect(ms).toBeLessThan(1_000);
  });
});

describe('generatePersons (tests/support/indian-names)', () => {
  it('gives the same persons for the same seed and others for another', () => {
    expect(generatePersons(500, 7)).toEqual(generatePersons(500, 7));
    expect(generatePersons(500, 7)).not.toEqual(generatePersons(500, 8));
  });

  it('covers exactly the 36 States and UTs', () => {
    expect([...GENERATOR_STATES].sort()).toEqual([...STATE_CODES].sort());
    const seen = new Set(generatePersons(20_000, 3).map((p) => p.state));
    expect(seen.size).toBeGreaterThan(30);
  });

  it('generates plausible persons', () => {
    const persons = generatePersons(5_000, 5);
    for (const p of persons) {
      expect(p.name.trim()).not.toBe('');
      expect(p.fatherName.trim()).not.toBe('');
      expect(['male', 'female']).toContain(p.gender);
      expect(p.age).toBeGreaterThanOrEqual(18);
      expect(p.age).toBeLessThanOrEqual(75);
      expect(STATE_CODES).toContain(p.state);
    }
    const share = (f: (p: (typeof persons)[number]) => boolean) =>
      persons.filter(f).length / persons.length;
    expect(share((p) => p.gender === 'male')).toBeCloseTo(0.85, 1);
    expect(share((p) => p.aliases.length > 0)).toBeGreaterThan(0.1);
    expect(share((p) => p.aliases.length > 0)).toBeLessThan(0.2);
    // 10% of those whose region has a script: most of India.
    expect(share((p) => p.latinName !== undefined)).toBeGreaterThan(0.06);
    expect(share((p) => p.latinName !== undefined)).toBeLessThan(0.11);
    expect(share((p) => p.district !== undefined)).toBeGreaterThan(0.8);
  });

  it('keeps to one State when asked and refuses an unknown one', () => {
    const bengal = generatePersons(1_000, 9, { state: 'WB' });
    expect(bengal.every((p) => p.state === 'WB')).toBe(true);
    expect(bengal.some((p) => /[\u0980-\u09ff]/.test(p.name))).toBe(true);
    expect(() => generatePersons(1, 1, { state: 'XX' })).toThrow(RangeError);
  });

  it('writes native names in the State’s script, and they match their Latin spelling', () => {
    const persons = generatePersons(5_000, 13, { nativeShare: 1 }).filter(
      (p) => p.latinName !== undefined,
    );
    expect(persons.length).toBeGreaterThan(4_000);
    expect(persons.some((p) => p.state === 'TN' && /[\u0b80-\u0bff]/.test(p.name))).toBe(true);
    expect(persons.some((p) => p.state === 'PB' && /[\u0a00-\u0a7f]/.test(p.name))).toBe(true);
    const misses = persons.filter((p) => nameScore(p.name, p.latinName ?? '') < MATCH_THRESHOLD);
    // Measured: 0.1% (Tamil writes Chitra's Ch and Deepa's D with ச and த).
    expect(misses.length / persons.length).toBeLessThan(0.01);
    const unselected = persons.filter(
      (p) => !searchKeys(p.name).some((k) => searchKeys(p.latinName ?? '').includes(k)),
    );
    expect(unselected.length / persons.length).toBeLessThan(0.01);
  });

  it('generates 100,000 persons in well under a second', () => {
    generatePersons(10_000, 1); // warm up
    const ms = timed(() => expect(generatePersons(100_000, 2)).toHaveLength(100_000));
    // About 150 ms on an idle machine; the budget leaves room for a loaded CI runner.
    expect(ms).toBeLessThan(1_000);
  });
});
