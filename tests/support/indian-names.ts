/**
 * A deterministic generator of realistic Indian persons for tests and benchmarks of the
 * criminal-records name search: the same seed gives the same people on every machine.
 *
 * Names come from curated lists of common given names and surnames by region (Hindi belt,
 * Marathi, Bengali, Assamese, Punjabi, Gujarati, Odia, Tamil, Telugu, Kannada, Malayalam,
 * Muslim in three regional flavours, Kashmiri, Christian, Meitei, the hill States of the north
 * east, Sikkim and Ladakh), put together the way each region writes names: Marathi and Gujarati
 * carry the father's name in the middle, Sikhs Singh or Kaur, Tamils an initial and no surname,
 * Meitei the family name first, Bihar's women Devi or Kumari. Each State draws from a mix of
 * regions roughly in proportion to its population.
 *
 * About 10% of persons (by default) have their name written in their region's script:
 * Devanagari, Bengali, Gurmukhi, Gujarati, Odia, Tamil, Telugu, Kannada or Malayalam, with the
 * Latin spelling kept in `latinName` as the ground truth a matcher should find. Some 15% have
 * aliases: a nickname (Pappu, Guddi), a spelling variant (Suneel for Sunil), initials
 * (R. K. Sharma) or the surname first.
 */

/** One generated person. */
export interface GeneratedPerson {
  name: string;
  fatherName: string;
  aliases: string[];
  gender: 'male' | 'female';
  age: number;
  /** State/UT code, e.g. "UP". */
  state: string;
  district?: string;
  /** The name in Latin letters, present when `name` is written in an Indian script. */
  latinName?: string;
}

/** Options for `generatePersons`. */
export interface GenerateOptions {
  /** Only persons of this State/UT (code such as "WB"); all States by population otherwise. */
  state?: string;
  /** Share of men, default 0.85 (arrest records are overwhelmingly male). */
  maleShare?: number;
  /** Share of names written in the region's own script where it has one, default 0.1. */
  nativeShare?: number;
}

/** mulberry32: a tiny, fast, well-mixed 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;

/** One part of a name, in Latin letters and, where the lists have it, in its script. */
interface Part {
  latin: string;
  native?: string;
}

/** Parses "Ramesh|रमेश, Suresh|सुरेश, Kumar" into parts. */
function parts(list: string): Part[] {
  return list
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
    .map((e) => {
      const [latin = '', native] = e.split('|');
      return native === undefined ? { latin } : { latin, native };
    });
}

const p = (latin: string, native?: string): Part => (native ? { latin, native } : { latin });

// ---------------------------------------------------------------------------------------------
// Curated lists. Native spellings are the usual ones in each script (पांडेय, বসু for Bose,
// ਸਿੰਘ, ಸಿದ್ದರಾಮಯ್ಯ); where the usual Latin spelling is not a transliteration of the usual
// native one (Bose/বসু, Ganguly/গঙ্গোপাধ্যায়, Rao/రావు) that is on purpose: records look like that.
// ---------------------------------------------------------------------------------------------

type Style =
  | 'hindi'
  | 'marathi'
  | 'gujarati'
  | 'bengali'
  | 'punjabi'
  | 'odia'
  | 'tamil'
  | 'telugu'
  | 'kannada'
  | 'malayalam'
  | 'muslim'
  | 'kashmiri'
  | 'plain'
  | 'meitei';

interface RegionData {
  style: Style;
  male: string;
  female: string;
  surnames: string;
  /** Name prefixes (Mohammad, Md): Muslim regions. */
  prefixes?: string;
  /** Words a woman's name may end with instead of a surname (Devi, Khatoon, Kaur). */
  femaleEnds?: string;
}

const REGION_DATA = {
  hindi: {
    style: 'hindi',
    male: `Ramesh|रमेश, Suresh|सुरेश, Rajesh|राजेश, Mukesh|मुकेश, Rakesh|राकेश, Dinesh|दिनेश,
      Mahesh|महेश, Naresh|नरेश, Sunil|सुनील, Anil|अनिल, Vijay|विजय, Ajay|अजय, Sanjay|संजय,
      Manoj|मनोज, Pramod|प्रमोद, Vinod|विनोद, Santosh|संतोष, Ashok|अशोक, Rajendra|राजेंद्र,
      Surendra|सुरेंद्र, Narendra|नरेंद्र, Ravi|रवि, Amit|अमित, Sumit|सुमित, Rahul|राहुल,
      Rohit|रोहित, Deepak|दीपक, Pankaj|पंकज, Sachin|सचिन, Vikas|विकास, Arvind|अरविंद, Ram|राम,
      Shyam|श्याम, Gopal|गोपाल, Mohan|मोहन, Sohan|सोहन, Raju|राजू, Jitendra|जितेंद्र,
      Dharmendra|धर्मेंद्र, Brijesh|बृजेश, Umesh|उमेश, Kamlesh|कमलेश, Harish|हरीश, Satish|सतीश,
      Anand|आनंद, Ashish|आशीष, Manish|मनीष, Praveen|प्रवीण, Sandeep|संदीप, Kuldeep|कुलदीप,
      Jagdish|जगदीश, Om Prakash|ओमप्रकाश, Ram Prasad|रामप्रसाद, Lalit|ललित, Pawan|पवन,
      Gaurav|गौरव, Saurabh|सौरभ, Abhishek|अभिषेक, Vivek|विवेक, Alok|आलोक, Vishal|विशाल,
      Neeraj|नीरज, Yogesh|योगेश, Hemant|हेमंत, Bhupendra|भूपेंद्र, Devendra|देवेंद्र,
      Mahendra|महेंद्र, Virendra|वीरेंद्र, Shivam|शिवम, Ankit|अंकित, Nitin|नितिन, Lakhan|लखन,
      Shiv Kumar|शिवकुमार, Krishna|कृष्ण, Balram|बलराम, Shailendra|शैलेंद्र, Awadhesh|अवधेश,
      Mithilesh|मिथिलेश, Chandan|चंदन, Munna|मुन्ना, Ramesh Chand|रमेश चंद, Phool Singh|फूल सिंह`,
    female: `Sunita|सुनीता, Anita|अनीता, Geeta|गीता, Sita|सीता, Rekha|रेखा, Pooja|पूजा,
      Priya|प्रिया, Neha|नेहा, Kavita|कविता, Savita|सविता, Sarita|सरिता, Mamta|ममता, Kiran|किरण,
      Suman|सुमन, Asha|आशा, Usha|उषा, Meena|मीना, Seema|सीमा, Reena|रीना, Rita|रीता, Kamla|कमला,
      Shanti|शांति, Radha|राधा, Lakshmi|लक्ष्मी, Saroj|सरोज, Urmila|उर्मिला, Nirmala|निर्मला,
      Pushpa|पुष्पा, Manju|मंजू, Anju|अंजू, Sangeeta|संगीता, Sapna|सपना, Jyoti|ज्योति,
      Preeti|प्रीति, Poonam|पूनम, Rani|रानी, Sushila|सुशीला, Kalpana|कल्पना, Archana|अर्चना,
      Vandana|वंदना, Nisha|निशा, Sonam|सोनम, Shweta|श्वेता, Ritu|रितु, Babita|बबीता,
      Anjali|अंजलि, Kusum|कुसुम, Lalita|ललिता, Shobha|शोभा, Maya|माया, Guddi|गुड्डी,
      Rinki|रिंकी, Pinki|पिंकी, Chanda|चंदा, Kanchan|कंचन`,
    surnames: `Sharma|शर्मा, Verma|वर्मा, Gupta|गुप्ता, Singh|सिंह, Yadav|यादव, Kumar|कुमार,
      Mishra|मिश्रा, Tiwari|तिवारी, Pandey|पांडेय, Dubey|दुबे, Shukla|शुक्ला, Tripathi|त्रिपाठी,
      Srivastava|श्रीवास्तव, Chaudhary|चौधरी, Jha|झा, Prasad|प्रसाद, Rai|राय, Chauhan|चौहान,
      Rajput|राजपूत, Thakur|ठाकुर, Saxena|सक्सेना, Agarwal|अग्रवाल, Jain|जैन, Maurya|मौर्य,
      Kushwaha|कुशवाहा, Paswan|पासवान, Mandal|मंडल, Mahto|महतो, Sahu|साहू, Rathore|राठौर,
      Meena|मीणा, Gurjar|गुर्जर, Bishnoi|बिश्नोई, Nishad|निषाद, Pal|पाल, Soni|सोनी,
      Vishwakarma|विश्वकर्मा, Dwivedi|द्विवेदी, Chaturvedi|चतुर्वेदी, Bhardwaj|भारद्वाज,
      Sinha|सिन्हा, Tomar|तोमर, Malik|मलिक, Dahiya|दहिया, Hooda|हुड्डा, Negi|नेगी, Rawat|रावत,
      Bisht|बिष्ट, Joshi|जोशी, Bhatt|भट्ट, Kashyap|कश्यप, Lodhi|लोधी, Baghel|बघेल, Patel|पटेल,
      Ahirwar|अहिरवार, Jatav|जाटव, Valmiki|वाल्मीकि, Saini|सैनी, Gautam|गौतम, Bharti|भारती`,
    femaleEnds: 'Devi|देवी, Devi|देवी, Kumari|कुमारी',
  },
  marathi: {
    style: 'marathi',
    male: `Sachin|सचिन, Rahul|राहुल, Ganesh|गणेश, Sandeep|संदीप, Prashant|प्रशांत, Sagar|सागर,
      Nilesh|नीलेश, Amol|अमोल, Tushar|तुषार, Vijay|विजय, Santosh|संतोष, Sunil|सुनील,
      Dattatray|दत्तात्रय, Vitthal|विठ्ठल, Pandurang|पांडुरंग, Dnyaneshwar|ज्ञानेश्वर,
      Mahesh|महेश, Ajit|अजित, Sharad|शरद, Balasaheb|बाळासाहेब, Shivaji|शिवाजी,
      Sambhaji|संभाजी, Prakash|प्रकाश, Dilip|दिलीप, Suhas|सुहास, Mangesh|मंगेश, Nitin|नितीन,
      Yogesh|योगेश`,
    female: `Sunanda|सुनंदा, Sangita|संगीता, Vaishali|वैशाली, Swati|स्वाती, Ashwini|अश्विनी,
      Priyanka|प्रियांका, Manisha|मनीषा, Shubhangi|शुभांगी, Rupali|रुपाली, Madhuri|माधुरी,
      Sarika|सारिका, Jayashree|जयश्री, Sunita|सुनीता, Vidya|विद्या, Lata|लता,
      Sulochana|सुलोचना, Kalpana|कल्पना, Pallavi|पल्लवी, Aarti|आरती, Shital|शीतल`,
    surnames: `Patil|पाटील, Jadhav|जाधव, Pawar|पवार, Shinde|शिंदे, Deshmukh|देशमुख,
      Kulkarni|कुलकर्णी, Joshi|जोशी, More|मोरे, Gaikwad|गायकवाड, Chavan|चव्हाण, Kale|काळे,
      Deshpande|देशपांडे, Sawant|सावंत, Kadam|कदम, Bhosale|भोसले, Jagtap|जगताप, Thorat|थोरात,
      Salunkhe|साळुंखे, Mane|माने, Mhatre|म्हात्रे, Kamble|कांबळे, Waghmare|वाघमारे,
      Gawade|गावडे, Naik|नाईक, Londhe|लोंढे`,
  },
  gujarati: {
    style: 'gujarati',
    male: `Ramesh|રમેશ, Jignesh|જીગ્નેશ, Hitesh|હિતેશ, Bhavesh|ભાવેશ, Paresh|પરેશ,
      Kalpesh|કલ્પેશ, Mitesh|મિતેશ, Nilesh|નિલેશ, Ketan|કેતન, Chirag|ચિરાગ, Hardik|હાર્દિક,
      Jayesh|જયેશ, Mahendra|મહેન્દ્ર, Bharat|ભરત, Dilip|દિલીપ, Pravin|પ્રવીણ, Vipul|વિપુલ,
      Alpesh|અલ્પેશ, Rajesh|રાજેશ, Mukesh|મુકેશ, Dinesh|દિનેશ, Kirit|કિરીટ, Hasmukh|હસમુખ,
      Manish|મનીષ, Sanjay|સંજય, Hemant|હેમંત, Dhaval|ધવલ, Nikunj|નિકુંજ`,
    female: `Kokila|કોકિલા, Hetal|હેતલ, Krupa|કૃપા, Bhavna|ભાવના, Nirali|નિરાલી, Dhara|ધારા,
      Falguni|ફાલ્ગુની, Rekha|રેખા, Hansa|હંસા, Manisha|મનીષા, Nayna|નયના, Jagruti|જાગૃતિ,
      Priti|પ્રીતિ, Urvashi|ઉર્વશી, Komal|કોમલ, Daksha|દક્ષા, Jyotsna|જ્યોત્સ્ના,
      Bhumika|ભૂમિકા, Asha|આશા`,
    surnames: `Patel|પટેલ, Patel|પટેલ, Shah|શાહ, Desai|દેસાઈ, Mehta|મહેતા, Joshi|જોશી,
      Parmar|પરમાર, Chauhan|ચૌહાણ, Solanki|સોલંકી, Rathod|રાઠોડ, Vaghela|વાઘેલા,
      Makwana|મકવાણા, Thakor|ઠાકોર, Trivedi|ત્રિવેદી, Bhatt|ભટ્ટ, Pandya|પંડ્યા, Modi|મોદી,
      Prajapati|પ્રજાપતિ, Dave|દવે, Rana|રાણા, Gohil|ગોહિલ, Jadeja|જાડેજા, Zala|ઝાલા,
      Vasava|વસાવા, Panchal|પંચાલ, Bhavsar|ભાવસાર, Raval|રાવલ, Soni|સોની, Amin|અમીન, Vyas|વ્યાસ`,
  },
  bengali: {
    style: 'bengali',
    male: `Sourav|সৌরভ, Subrata|সুব্রত, Debashis|দেবাশিস, Partha|পার্থ, Arijit|অরিজিৎ,
      Abhijit|অভিজিৎ, Biswajit|বিশ্বজিৎ, Tapas|তাপস, Swapan|স্বপন, Prosenjit|প্রসেনজিৎ,
      Amit|অমিত, Sujit|সুজিত, Ranjit|রঞ্জিত, Bikash|বিকাশ, Pradip|প্রদীপ, Gopal|গোপাল,
      Subhash|সুভাষ, Tarun|তরুণ, Sanjib|সঞ্জীব, Rajib|রাজীব, Debabrata|দেবব্রত,
      Sukanta|সুকান্ত, Anirban|অনির্বাণ, Sandip|সন্দীপ, Tanmoy|তন্ময়, Sayan|সায়ন, Arup|অরূপ,
      Dipankar|দীপঙ্কর, Goutam|গৌতম, Shyamal|শ্যামল, Nirmal|নির্মল, Bapi|বাপি`,
    female: `Mousumi|মৌসুমী, Rina|রিনা, Mitali|মিতালী, Sampa|সম্পা, Soma|সোমা, Rupa|রূপা,
      Mamata|মমতা, Tanushree|তনুশ্রী, Sharmila|শর্মিলা, Moumita|মৌমিতা, Paramita|পারমিতা,
      Jhuma|ঝুমা, Sangita|সঙ্গীতা, Puja|পূজা, Priyanka|প্রিয়াঙ্কা, Sumana|সুমনা, Rumpa|রুম্পা,
      Payel|পায়েল, Dipika|দীপিকা, Ananya|অনন্যা, Sraboni|শ্রাবণী, Chaitali|চৈতালী`,
    surnames: `Das|দাস, Ghosh|ঘোষ, Bose|বসু, Chatterjee|চট্টোপাধ্যায়,
      Banerjee|বন্দ্যোপাধ্যায়, Mukherjee|মুখোপাধ্যায়, Ganguly|গঙ্গোপাধ্যায়, Sen|সেন,
      Dutta|দত্ত, Roy|রায়, Saha|সাহা, Mondal|মণ্ডল, Sarkar|সরকার, Biswas|বিশ্বাস,
      Chakraborty|চক্রবর্তী, Bhattacharya|ভট্টাচার্য, Majumdar|মজুমদার, Pal|পাল, Dey|দে,
      Haldar|হালদার, Mitra|মিত্র, Nandi|নন্দী, Kar|কর, Adhikari|অধিকারী, Bag|বাগ,
      Maity|মাইতি, Jana|জানা, Samanta|সামন্ত, Barman|বর্মন, Sikdar|শিকদার`,
  },
  punjabi: {
    style: 'punjabi',
    male: `Gurpreet|ਗੁਰਪ੍ਰੀਤ, Harpreet|ਹਰਪ੍ਰੀਤ, Manpreet|ਮਨਪ੍ਰੀਤ, Jaspreet|ਜਸਪ੍ਰੀਤ,
      Harjeet|ਹਰਜੀਤ, Gurmeet|ਗੁਰਮੀਤ, Kuldeep|ਕੁਲਦੀਪ, Jaswinder|ਜਸਵਿੰਦਰ, Harjinder|ਹਰਜਿੰਦਰ,
      Sukhwinder|ਸੁਖਵਿੰਦਰ, Balwinder|ਬਲਵਿੰਦਰ, Gurdeep|ਗੁਰਦੀਪ, Amandeep|ਅਮਨਦੀਪ,
      Navdeep|ਨਵਦੀਪ, Lakhwinder|ਲਖਵਿੰਦਰ, Paramjit|ਪਰਮਜੀਤ, Jagjit|ਜਗਜੀਤ, Baljit|ਬਲਜੀਤ,
      Ranjit|ਰਣਜੀਤ, Harbhajan|ਹਰਭਜਨ, Bhupinder|ਭੁਪਿੰਦਰ, Satnam|ਸਤਨਾਮ, Gurcharan|ਗੁਰਚਰਨ,
      Jasbir|ਜਸਬੀਰ, Manjit|ਮਨਜੀਤ, Rajinder|ਰਾਜਿੰਦਰ, Iqbal|ਇਕਬਾਲ, Sukhdev|ਸੁਖਦੇਵ`,
    female: `Harpreet|ਹਰਪ੍ਰੀਤ, Manpreet|ਮਨਪ੍ਰੀਤ, Gurpreet|ਗੁਰਪ੍ਰੀਤ, Jaspreet|ਜਸਪ੍ਰੀਤ,
      Amandeep|ਅਮਨਦੀਪ, Navneet|ਨਵਨੀਤ, Simran|ਸਿਮਰਨ, Rajwinder|ਰਾਜਵਿੰਦਰ, Kulwinder|ਕੁਲਵਿੰਦਰ,
      Paramjit|ਪਰਮਜੀਤ, Manjeet|ਮਨਜੀਤ, Jasleen|ਜਸਲੀਨ, Harleen|ਹਰਲੀਨ, Gurleen|ਗੁਰਲੀਨ,
      Sukhpreet|ਸੁਖਪ੍ਰੀਤ, Rupinder|ਰੁਪਿੰਦਰ, Kamaljit|ਕਮਲਜੀਤ, Baljinder|ਬਲਜਿੰਦਰ, Jasvir|ਜਸਵੀਰ`,
    // Sikh clan names; Hindu Punjabi surnames are in PUNJABI_HINDU below.
    surnames: `Gill|ਗਿੱਲ, Sandhu|ਸੰਧੂ, Sidhu|ਸਿੱਧੂ, Dhillon|ਢਿੱਲੋਂ, Grewal|ਗਰੇਵਾਲ, Brar|ਬਰਾੜ,
      Randhawa|ਰੰਧਾਵਾ, Bajwa|ਬਾਜਵਾ, Virk|ਵਿਰਕ, Mann|ਮਾਨ, Sekhon|ਸੇਖੋਂ, Aulakh|ਔਲਖ,
      Cheema|ਚੀਮਾ, Bains|ਬੈਂਸ, Dhaliwal|ਧਾਲੀਵਾਲ, Sohal|ਸੋਹਲ, Bhullar|ਭੁੱਲਰ`,
  },
  odia: {
    style: 'odia',
    male: `Bijay|ବିଜୟ, Sanjay|ସଞ୍ଜୟ, Prakash|ପ୍ରକାଶ, Santosh|ସନ୍ତୋଷ, Sarat|ଶରତ,
      Debasis|ଦେବାଶିଷ, Pradeep|ପ୍ରଦୀପ, Manoj|ମନୋଜ, Ramesh|ରମେଶ, Subash|ସୁବାସ,
      Biswanath|ବିଶ୍ୱନାଥ, Jagannath|ଜଗନ୍ନାଥ, Sukanta|ସୁକାନ୍ତ, Prasanta|ପ୍ରଶାନ୍ତ, Bikash|ବିକାଶ,
      Ashok|ଅଶୋକ, Dillip|ଦିଲ୍ଲୀପ, Sisir|ଶିଶିର, Niranjan|ନିରଞ୍ଜନ, Chittaranjan|ଚିତ୍ତରଞ୍ଜନ,
      Akshaya|ଅକ୍ଷୟ, Ranjan|ରଞ୍ଜନ`,
    female: `Sasmita|ସସ୍ମିତା, Sujata|ସୁଜାତା, Mamata|ମମତା, Gitanjali|ଗୀତାଞ୍ଜଳି,
      Bandana|ବନ୍ଦନା, Sabita|ସବିତା, Pramila|ପ୍ରମିଳା, Kabita|କବିତା, Sarojini|ସରୋଜିନୀ,
      Smita|ସ୍ମିତା, Sunita|ସୁନୀତା, Jayanti|ଜୟନ୍ତୀ, Rashmita|ରଶ୍ମିତା, Lipsa|ଲିପ୍ସା`,
    surnames: `Mohanty|ମହାନ୍ତି, Das|ଦାସ, Sahoo|ସାହୁ, Nayak|ନାୟକ, Mishra|ମିଶ୍ର, Panda|ପଣ୍ଡା,
      Behera|ବେହେରା, Swain|ସ୍ୱାଇଁ, Jena|ଜେନା, Pradhan|ପ୍ରଧାନ, Rout|ରାଉତ, Sethi|ସେଠୀ,
      Mallick|ମଲ୍ଲିକ, Biswal|ବିଶ୍ୱାଳ, Samal|ସାମଲ, Barik|ବାରିକ, Senapati|ସେନାପତି, Dash|ଦାଶ,
      Mohapatra|ମହାପାତ୍ର, Tripathy|ତ୍ରିପାଠୀ, Rath|ରଥ, Patnaik, Parida`,
  },
  tamil: {
    style: 'tamil',
    male: `Murugan|முருகன், Selvam|செல்வம், Karthik|கார்த்திக், Arun|அருண், Vijay|விஜய்,
      Senthil|செந்தில், Saravanan|சரவணன், Kumar|குமார், Ramesh|ரமேஷ், Suresh|சுரேஷ்,
      Ganesan|கணேசன், Mani|மணி, Rajan|ராஜன், Anbazhagan|அன்பழகன், Palani|பழனி,
      Muthu|முத்து, Ravi|ரவி, Sekar|சேகர், Velu|வேலு, Pandian|பாண்டியன், Arumugam|ஆறுமுகம்,
      Balu|பாலு, Siva|சிவா, Prakash|பிரகாஷ், Dinesh|தினேஷ், Manikandan|மணிகண்டன்,
      Vignesh|விக்னேஷ், Raja|ராஜா, Kannan|கண்ணன், Elango|இளங்கோ, Thangaraj|தங்கராஜ்,
      Velmurugan|வேல்முருகன், Sathish|சதீஷ், Kathiravan|கதிரவன், Mohan, Ramasamy`,
    female: `Lakshmi|லக்ஷ்மி, Selvi|செல்வி, Meena|மீனா, Kavitha|கவிதா, Priya|பிரியா,
      Divya|திவ்யா, Revathi|ரேவதி, Malar|மலர், Valli|வள்ளி, Saranya|சரண்யா,
      Gayathri|காயத்ரி, Jaya|ஜெயா, Vasanthi|வசந்தி, Chitra|சித்ரா, Anitha|அனிதா,
      Sumathi|சுமதி, Rani|ராணி, Deepa|தீபா, Kalaiselvi|கலைச்செல்வி, Thenmozhi|தேன்மொழி,
      Kayal|கயல், Ponni|பொன்னி, Indira|இந்திரா, Nithya|நித்யா, Sangeetha|சங்கீதா`,
    // Most Tamils have no surname; these caste names appear on a minority of records.
    surnames: `Pillai|பிள்ளை, Iyer|ஐயர், Mudaliar|முதலியார், Nadar|நாடார், Thevar|தேவர்,
      Iyengar|ஐயங்கார், Gounder, Chettiar, Naicker`,
  },
  telugu: {
    style: 'telugu',
    male: `Venkata|వెంకట, Srinivas|శ్రీనివాస్, Ramana|రమణ, Ravi|రవి, Suresh|సురేష్,
      Ramesh|రమేష్, Naresh|నరేష్, Krishna|కృష్ణ, Satyanarayana|సత్యనారాయణ,
      Nagaraju|నాగరాజు, Raju|రాజు, Ramu|రాము, Prasad|ప్రసాద్, Rambabu|రాంబాబు, Srinu|శ్రీను,
      Chiranjeevi|చిరంజీవి, Mahesh|మహేష్, Venkatesh|వెంకటేష్, Anil|అనిల్, Kiran|కిరణ్,
      Sai|సాయి, Balaraju|బాలరాజు, Koteswara|కోటేశ్వర, Subba|సుబ్బ, Narasimha|నరసింహ,
      Srikanth|శ్రీకాంత్, Ramakrishna|రామకృష్ణ, Gopi|గోపి, Madhu|మధు, Naveen|నవీన్`,
    female: `Lakshmi|లక్ష్మి, Padma|పద్మ, Swathi|స్వాతి, Sravani|శ్రావణి, Anusha|అనూష,
      Divya|దివ్య, Bhavani|భవాని, Sujatha|సుజాత, Madhavi|మాధవి, Sirisha|శిరీష,
      Ramadevi|రమాదేవి, Vijaya|విజయ, Kavya|కావ్య, Sravanthi|స్రవంతి, Jyothi|జ్యోతి,
      Haritha|హరిత, Suneetha|సునీత, Aruna|అరుణ, Padmavathi|పద్మావతి, Sailaja|శైలజ`,
    surnames: `Reddy|రెడ్డి, Reddy|రెడ్డి, Rao|రావు, Naidu|నాయుడు, Chowdary|చౌదరి, Varma|వర్మ,
      Raju|రాజు, Goud|గౌడ్, Yadav|యాదవ్, Sharma|శర్మ, Setty|శెట్టి, Kumar|కుమార్, Babu|బాబు,
      Murthy|మూర్తి, Prasad|ప్రసాద్, Chary|చారి`,
  },
  kannada: {
    style: 'kannada',
    male: `Manjunath|ಮಂಜುನಾಥ, Basavaraj|ಬಸವರಾಜ, Nagaraj|ನಾಗರಾಜ, Raghavendra|ರಾಘವೇಂದ್ರ,
      Siddaramaiah|ಸಿದ್ದರಾಮಯ್ಯ, Mahesh|ಮಹೇಶ, Prakash|ಪ್ರಕಾಶ, Shivakumar|ಶಿವಕುಮಾರ,
      Ramesh|ರಮೇಶ, Santosh|ಸಂತೋಷ, Kumar|ಕುಮಾರ, Ravi|ರವಿ, Chandru|ಚಂದ್ರು, Puneeth|ಪುನೀತ್,
      Girish|ಗಿರೀಶ, Umesh|ಉಮೇಶ, Lokesh|ಲೋಕೇಶ, Mallikarjun|ಮಲ್ಲಿಕಾರ್ಜುನ, Shankar|ಶಂಕರ,
      Nagesh|ನಾಗೇಶ, Yogesh|ಯೋಗೇಶ, Devaraj|ದೇವರಾಜ, Harish|ಹರೀಶ, Suresh|ಸುರೇಶ,
      Krishnappa|ಕೃಷ್ಣಪ್ಪ, Thimmappa|ತಿಮ್ಮಪ್ಪ`,
    female: `Lakshmi|ಲಕ್ಷ್ಮಿ, Savitha|ಸವಿತಾ, Shobha|ಶೋಭಾ, Geetha|ಗೀತಾ, Rekha|ರೇಖಾ,
      Kavya|ಕಾವ್ಯ, Shilpa|ಶಿಲ್ಪಾ, Pushpa|ಪುಷ್ಪಾ, Bhagya|ಭಾಗ್ಯ, Manjula|ಮಂಜುಳಾ, Roopa|ರೂಪಾ,
      Nandini|ನಂದಿನಿ, Sumitra|ಸುಮಿತ್ರಾ, Asha|ಆಶಾ, Mamatha|ಮಮತಾ, Shwetha|ಶ್ವೇತಾ,
      Netra|ನೇತ್ರಾ, Vani|ವಾಣಿ`,
    surnames: `Gowda|ಗೌಡ, Gowda|ಗೌಡ, Shetty|ಶೆಟ್ಟಿ, Hegde|ಹೆಗ್ಡೆ, Rao|ರಾವ್, Patil|ಪಾಟೀಲ,
      Kulkarni|ಕುಲಕರ್ಣಿ, Bhat|ಭಟ್, Poojary|ಪೂಜಾರಿ, Shenoy|ಶೆಣೈ, Kamath|ಕಾಮತ್, Nayak|ನಾಯಕ,
      Reddy|ರೆಡ್ಡಿ, Murthy|ಮೂರ್ತಿ, Pai|ಪೈ, Desai|ದೇಸಾಯಿ, Naik`,
  },
  malayalam: {
    style: 'malayalam',
    male: `Rajesh|രാജേഷ്, Suresh|സുരേഷ്, Anil|അനിൽ, Sunil|സുനിൽ, Biju|ബിജു, Shaji|ഷാജി,
      Manoj|മനോജ്, Sreedharan|ശ്രീധരൻ, Unnikrishnan|ഉണ്ണികൃഷ്ണൻ,
      Gopalakrishnan|ഗോപാലകൃഷ്ണൻ, Vinod|വിനോദ്, Pradeep|പ്രദീപ്, Santhosh|സന്തോഷ്,
      Ajith|അജിത്, Rajan|രാജൻ, Mohanan|മോഹനൻ, Babu|ബാബു, Jayan|ജയൻ, Satheesan|സതീശൻ,
      Ramachandran|രാമചന്ദ്രൻ, Sasi|ശശി, Prasanth|പ്രശാന്ത്, Vishnu|വിഷ്ണു, Arjun|അർജുൻ,
      Rahul|രാഹുൽ, Sanal|സനൽ, Dileep|ദിലീപ്`,
    female: `Lakshmi|ലക്ഷ്മി, Sreeja|ശ്രീജ, Bindu|ബിന്ദു, Sindhu|സിന്ധു, Priya|പ്രിയ,
      Divya|ദിവ്യ, Anju|അഞ്ജു, Remya|രമ്യ, Deepa|ദീപ, Sheeja|ഷീജ, Lathika|ലതിക,
      Sandhya|സന്ധ്യ, Beena|ബീന, Suma|സുമ, Ambili|അമ്പിളി, Sajitha|സജിത, Reshma|രേഷ്മ,
      Aswathy|അശ്വതി, Athira|ആതിര, Soumya|സൗമ്യ`,
    surnames: `Nair|നായർ, Nair|നായർ, Menon|മേനോൻ, Kurup|കുറുപ്പ്, Panicker|പണിക്കർ,
      Kutty|കുട്ടി, Namboothiri|നമ്പൂതിരി, Varma|വർമ്മ, Das|ദാസ്, Kumar|കുമാർ, Thampi|തമ്പി,
      Unnithan|ഉണ്ണിത്താൻ, Kaimal|കൈമൾ, Pillai, Nambiar, Warrier`,
  },
  muslim: {
    style: 'muslim',
    male: `Abdul|अब्दुल, Imran|इमरान, Irfan|इरफ़ान, Salman|सलमान, Shahrukh|शाहरुख,
      Aamir|आमिर, Arif|आरिफ़, Asif|आसिफ़, Rashid|राशिद, Javed|जावेद, Shahid|शाहिद,
      Zakir|ज़ाकिर, Faisal|फ़ैसल, Nadeem|नदीम, Wasim|वसीम, Akram|अकरम, Iqbal|इक़बाल,
      Rizwan|रिज़वान, Sajid|साजिद, Anwar|अनवर, Mushtaq|मुश्ताक़, Rafiq|रफ़ीक़, Yusuf|यूसुफ़,
      Sameer|समीर, Ahmad|अहमद, Ali|अली, Hasan|हसन, Raees|रईस, Sohail|सोहेल, Danish|दानिश,
      Shakeel|शकील, Jamil|जमील, Kaleem|कलीम, Naushad|नौशाद, Sartaj|सरताज, Mehboob|महबूब,
      Ishtiyaq|इश्तियाक़, Tariq|तारिक़`,
    female: `Fatima|फ़ातिमा, Ayesha|आयशा, Shabnam|शबनम, Nazia|नाज़िया, Rukhsar|रुख़सार,
      Shaheen|शाहीन, Salma|सलमा, Rubina|रुबीना, Farzana|फ़रज़ाना, Nasreen|नसरीन,
      Shabana|शबाना, Zainab|ज़ैनब, Sana|सना, Noor|नूर, Yasmin|यास्मीन, Reshma|रेशमा,
      Tabassum|तबस्सुम, Hina|हिना, Mumtaz|मुमताज़, Parveen|परवीन, Sultana|सुल्ताना,
      Gulshan|गुलशन, Afsana|अफ़साना, Naseem|नसीम`,
    surnames: `Khan|ख़ान, Khan|ख़ान, Ansari|अंसारी, Qureshi|क़ुरैशी, Shaikh|शेख़,
      Siddiqui|सिद्दीक़ी, Ahmed|अहमद, Ali|अली, Hussain|हुसैन, Mansuri|मंसूरी, Malik|मलिक,
      Saifi|सैफ़ी, Rizvi|रिज़वी, Pathan|पठान, Syed|सैयद, Mirza|मिर्ज़ा, Baig|बेग, Alam|आलम,
      Akhtar|अख़्तर, Naqvi|नक़वी, Farooqui|फ़ारूक़ी, Usmani|उस्मानी, Rahman|रहमान`,
    prefixes: 'Mohammad|मोहम्मद, Mohammad|मोहम्मद, Mohd, Md, Mohammed',
    femaleEnds: 'Khatoon|ख़ातून, Begum|बेगम, Bano|बानो',
  },
  muslimBengal: {
    style: 'muslim',
    male: `Rahim, Karim, Jakir, Rafiqul, Saiful, Aminul, Nurul, Anisur, Habibur, Sirajul,
      Mizanur, Abdul, Jamal, Kamal, Sahidul, Rejaul, Ashraful, Monirul, Jahangir, Alamgir,
      Firoz, Mofizul, Sukur`,
    female: `Rahima, Jahanara, Nasima, Rokeya, Salma, Ayesha, Fatema, Shahnaz, Mumtaz, Sabina,
      Nargis, Morjina, Rina, Khadija, Hasina, Rehena, Sahanara, Amena, Bilkis`,
    surnames: `Hossain, Hossain, Sk, Sheikh, Mondal, Mia, Ali, Rahaman, Islam, Uddin, Ahmed,
      Khan, Molla, Laskar, Biswas, Sardar, Haque`,
    prefixes: 'Md, Md, Sk, Mohammad, Mohammed',
    femaleEnds: 'Bibi, Khatun, Begum',
  },
  muslimSouth: {
    style: 'muslim',
    male: `Basheer, Ashraf, Shameer, Rasheed, Nazeer, Siddique, Shihab, Faizal, Anwar, Hakeem,
      Sulaiman, Ibrahim, Noushad, Riyas, Shafi, Mujeeb, Imran, Khaja, Mastan, Jaleel, Haris,
      Shanavas, Navas, Ismail, Musthafa, Abdul Kareem`,
    female: `Fathima, Ayisha, Sainaba, Khadeeja, Ramla, Shabna, Safiya, Jasna, Shahina,
      Nasreen, Sameena, Ruksana, Afreen, Heena, Suhara, Nafeesa, Asma`,
    surnames: 'Shaik, Syed, Khan, Basha, Sheriff, Koya, Kutty, Hussain, Ahmed, Rawther, Pasha',
    prefixes: 'Muhammed, Mohammed, Mohd, Shaik',
    femaleEnds: 'Beevi, Begum',
  },
  kashmiri: {
    style: 'kashmiri',
    male: `Abdul, Ghulam, Bashir, Farooq, Mushtaq, Showkat, Tariq, Nazir, Manzoor, Parvaiz,
      Irshad, Javaid, Ashiq, Fayaz, Imtiyaz, Riyaz, Sajad, Shabir, Mudasir, Aijaz, Hilal,
      Bilal, Umar, Zahoor`,
    female: `Shazia, Rubeena, Nighat, Shamima, Haleema, Dilshada, Tahira, Rafiqa, Saleema,
      Naseema, Mehbooba, Shaheena, Rukhsana, Nusrat, Gulshan`,
    surnames: `Bhat, Bhat, Dar, Lone, Mir, Wani, Sheikh, Malik, Shah, Rather, Ganai, Khan,
      Parray, Beigh, Hajam, Ahanger`,
    prefixes: 'Mohammad, Ghulam, Mohd',
    femaleEnds: 'Bano, Akhter, Jan',
  },
  christian: {
    style: 'plain',
    male: `Joseph, Thomas, John, George, Mathew, Jacob, Abraham, Philip, Antony, Sebastian,
      Francis, Paul, Peter, David, Daniel, Samuel, Stephen, Xavier, Lawrence, Joy, Tony`,
    female: `Mary, Elizabeth, Annamma, Susan, Jessy, Sherly, Mercy, Grace, Rosy, Lissy, Teresa,
      Agnes, Maria, Celine, Jincy, Leena`,
    surnames: `D'Souza, Fernandes, Rodrigues, Pereira, D'Costa, Gomes, Lobo, Pinto, Menezes,
      Dias, Thomas, Joseph, Varghese, Mathew, Kurian, Chacko, Philip, Abraham, George, Ekka,
      Tirkey, Lakra, Minj, Kujur`,
  },
  assamese: {
    style: 'plain',
    male: `Pranjal, Dipankar, Bhaskar, Jyotirmoy, Hemanta, Bhupen, Nayan, Rupam, Utpal, Bidyut,
      Mridul, Jitu, Dhruba, Nitul, Manab, Pankaj`,
    female: `Pallavi, Nilakshi, Rupjyoti, Bornali, Jonali, Mousumi, Anamika, Dipika, Pompi,
      Rashmi, Gitanjali, Rimjim`,
    surnames: `Bora, Gogoi, Baruah, Saikia, Kalita, Deka, Das, Hazarika, Phukan, Bhuyan, Sarma,
      Talukdar, Choudhury, Nath, Medhi, Borah, Dutta`,
  },
  meitei: {
    style: 'meitei',
    male: `Ibomcha, Tomba, Ibobi, Nabachandra, Premchand, Ibungo, Rajen, Somorendro, Bijoy,
      Sanjoy, Ranjit, Boby, Inao, Kiran`,
    female: `Sanatombi, Thoibi, Memcha, Bembem, Ibemhal, Sangeeta, Binata, Linthoi, Ningthem,
      Roshni, Sushila`,
    surnames: `Laishram, Thokchom, Ningombam, Khumanthem, Yumnam, Moirangthem, Wahengbam,
      Sorokhaibam, Oinam, Konsam, Huidrom, Elangbam`,
    femaleEnds: 'Devi, Devi, Chanu',
  },
  northeast: {
    style: 'plain',
    male: `Lalremruata, Lalrinpuia, Zoramthanga, Vanlalhruaia, Lalthanzuala, Lalnunmawia,
      Vikheho, Neiphiu, Temjen, Imkong, Kevi, Atoka, Bantei, Wanphrang, Donbok, Kitboklang,
      Shanborlang, Tani, Nabam, Taba, Kiren, Bamang`,
    female: `Lalremsiami, Zothanpuii, Lalrinmawii, Imlila, Akala, Ibashisha, Daphisha, Yani,
      Mepung, Vanlalruati, Aienla, Kharlyngdoh`,
    surnames: `Ralte, Khiangte, Hmar, Sailo, Chhakchhuak, Ao, Sema, Angami, Jamir, Longkumer,
      Marbaniang, Lyngdoh, Kharkongor, Syiem, Tage, Tayeng, Pertin, Rio`,
  },
  himalayan: {
    style: 'plain',
    male: `Tashi, Pema, Dorjee, Tshering, Karma, Sonam, Namgyal, Stanzin, Tsewang, Nima, Pasang,
      Phurba, Bikash, Suraj, Rajen, Binod, Dawa`,
    female: `Pema, Dolma, Tshering, Diki, Sonam, Yangchen, Deachen, Kunzang, Sarita, Anita,
      Padma, Chorol`,
    surnames: `Bhutia, Lepcha, Tamang, Gurung, Rai, Subba, Sherpa, Chettri, Pradhan, Limboo,
      Namgyal, Dorjay, Sharma`,
  },
} satisfies Record<string, RegionData>;

type RegionName = keyof typeof REGION_DATA;

/** Hindu Punjabi surnames (Punjabi style, one person in five). */
const PUNJABI_HINDU = parts(`Sharma|ਸ਼ਰਮਾ, Arora|ਅਰੋੜਾ, Khanna|ਖੰਨਾ, Kapoor|ਕਪੂਰ,
  Malhotra|ਮਲਹੋਤਰਾ, Chopra|ਚੋਪੜਾ, Ahuja|ਆਹੂਜਾ, Sethi|ਸੇਠੀ, Bhatia|ਭਾਟੀਆ, Sood|ਸੂਦ, Mehra`);
const SINGH = p('Singh', 'ਸਿੰਘ');
const KAUR = p('Kaur', 'ਕੌਰ');
const KUMAR: Partial<Record<Style, Part>> = {
  hindi: p('Kumar', 'कुमार'),
  bengali: p('Kumar', 'কুমার'),
  odia: p('Kumar', 'କୁମାର'),
  telugu: p('Kumar', 'కుమార్'),
};
/** Gujarati suffixes of respect, fused to the given name: Rameshbhai, Kokilaben. */
const BHAI = p('bhai', 'ભાઈ');
const BEN = p('ben', 'બેન');

const NICKNAMES = {
  male: parts(`Pappu, Guddu, Bablu, Munna, Raju, Sonu, Monu, Chhotu, Bunty, Lalla, Kallu, Golu,
    Tinku, Pintu, Rinku, Bittu, Lucky, Happy, Goldy, Kaka, Babloo, Dablu, Chintu, Bobby, Jaggu,
    Shanu, Bapi, Bubai, Kuttan, Unni, Chinna, Babu`),
  female: parts(`Guddi, Munni, Pinky, Rani, Baby, Chhoti, Sonu, Bittu, Dolly, Rinki, Tinki,
    Bulbul, Mini, Chinki, Tuktuki, Ammu, Chinnu, Kutti`),
};

interface Region {
  name: RegionName;
  style: Style;
  male: Part[];
  female: Part[];
  surnames: Part[];
  prefixes: Part[];
  femaleEnds: Part[];
}

const REGIONS = Object.fromEntries(
  Object.entries(REGION_DATA).map(([name, d]: [string, RegionData]) => [
    name,
    {
      name,
      style: d.style,
      male: parts(d.male),
      female: parts(d.female),
      surnames: parts(d.surnames),
      prefixes: parts(d.prefixes ?? ''),
      femaleEnds: parts(d.femaleEnds ?? ''),
    },
  ]),
) as Record<RegionName, Region>;

/** Only the parts that have a native spelling: a native-script name draws from these. */
const nativeOnly = (list: Part[]): Part[] => list.filter((x) => x.native !== undefined);
const NATIVE = Object.fromEntries(
  Object.values(REGIONS).map((r) => [
    r.name,
    {
      ...r,
      male: nativeOnly(r.male),
      female: nativeOnly(r.female),
      surnames: nativeOnly(r.surnames),
      prefixes: nativeOnly(r.prefixes),
      femaleEnds: nativeOnly(r.femaleEnds),
    },
  ]),
) as Record<RegionName, Region>;

// ---------------------------------------------------------------------------------------------
// States: population weight (millions, 2011 census rounded), mix of regions, some districts.
// ---------------------------------------------------------------------------------------------

interface StateData {
  population: number;
  regions: [RegionName, number][];
  districts: string;
}

const STATES: Record<string, StateData> = {
  UP: {
    population: 200,
    regions: [
      ['hindi', 0.8],
      ['muslim', 0.2],
    ],
    districts: `Lucknow, Kanpur Nagar, Prayagraj, Varanasi, Agra, Meerut, Gorakhpur, Bareilly,
      Ghaziabad, Gautam Buddh Nagar, Aligarh, Moradabad`,
  },
  BR: {
    population: 104,
    regions: [
      ['hindi', 0.83],
      ['muslim', 0.17],
    ],
    districts: 'Patna, Gaya, Muzaffarpur, Bhagalpur, Darbhanga, Purnia, Siwan, Begusarai',
  },
  MH: {
    population: 112,
    regions: [
      ['marathi', 0.78],
      ['hindi', 0.08],
      ['muslim', 0.12],
      ['gujarati', 0.02],
    ],
    districts: 'Mumbai, Pune, Nagpur, Thane, Nashik, Chhatrapati Sambhajinagar, Solapur, Kolhapur',
  },
  WB: {
    population: 91,
    regions: [
      ['bengali', 0.7],
      ['muslimBengal', 0.27],
      ['hindi', 0.03],
    ],
    districts: `Kolkata, Howrah, North 24 Parganas, South 24 Parganas, Murshidabad, Nadia,
      Darjeeling, Paschim Medinipur`,
  },
  MP: {
    population: 73,
    regions: [
      ['hindi', 0.93],
      ['muslim', 0.07],
    ],
    districts: 'Bhopal, Indore, Jabalpur, Gwalior, Ujjain, Sagar, Rewa',
  },
  TN: {
    population: 72,
    regions: [
      ['tamil', 0.88],
      ['muslimSouth', 0.06],
      ['christian', 0.06],
    ],
    districts: 'Chennai, Coimbatore, Madurai, Tiruchirappalli, Salem, Tirunelveli, Vellore',
  },
  RJ: {
    population: 69,
    regions: [
      ['hindi', 0.9],
      ['muslim', 0.09],
      ['punjabi', 0.01],
    ],
    districts: 'Jaipur, Jodhpur, Kota, Ajmer, Udaipur, Bikaner, Alwar',
  },
  KA: {
    population: 61,
    regions: [
      ['kannada', 0.84],
      ['muslimSouth', 0.13],
      ['christian', 0.03],
    ],
    districts: 'Bengaluru Urban, Mysuru, Belagavi, Kalaburagi, Dakshina Kannada, Ballari',
  },
  GJ: {
    population: 60,
    regions: [
      ['gujarati', 0.9],
      ['muslim', 0.1],
    ],
    districts: 'Ahmedabad, Surat, Vadodara, Rajkot, Bhavnagar, Kutch, Jamnagar',
  },
  AP: {
    population: 49,
    regions: [
      ['telugu', 0.9],
      ['muslimSouth', 0.08],
      ['christian', 0.02],
    ],
    districts: 'Visakhapatnam, Guntur, Krishna, East Godavari, Kurnool, Chittoor, Anantapur',
  },
  OD: {
    population: 42,
    regions: [
      ['odia', 0.95],
      ['muslim', 0.02],
      ['christian', 0.03],
    ],
    districts: 'Khordha, Cuttack, Ganjam, Balasore, Sundargarh, Mayurbhanj, Puri',
  },
  TS: {
    population: 35,
    regions: [
      ['telugu', 0.85],
      ['muslimSouth', 0.13],
      ['christian', 0.02],
    ],
    districts: 'Hyderabad, Rangareddy, Medchal-Malkajgiri, Warangal, Karimnagar, Nizamabad',
  },
  KL: {
    population: 33,
    regions: [
      ['malayalam', 0.55],
      ['muslimSouth', 0.26],
      ['christian', 0.19],
    ],
    districts: 'Thiruvananthapuram, Ernakulam, Kozhikode, Thrissur, Malappuram, Kollam, Kannur',
  },
  JH: {
    population: 33,
    regions: [
      ['hindi', 0.82],
      ['muslim', 0.15],
      ['christian', 0.03],
    ],
    districts: 'Ranchi, Dhanbad, East Singhbhum, Bokaro, Hazaribagh, Deoghar',
  },
  AS: {
    population: 31,
    regions: [
      ['assamese', 0.6],
      ['muslimBengal', 0.35],
      ['bengali', 0.05],
    ],
    districts: 'Kamrup Metropolitan, Nagaon, Dibrugarh, Cachar, Barpeta, Jorhat, Dhubri',
  },
  PB: {
    population: 28,
    regions: [
      ['punjabi', 0.85],
      ['hindi', 0.13],
      ['muslim', 0.02],
    ],
    districts: 'Ludhiana, Amritsar, Jalandhar, Patiala, Bathinda, Mohali, Gurdaspur',
  },
  CG: {
    population: 26,
    regions: [
      ['hindi', 0.95],
      ['christian', 0.02],
      ['muslim', 0.03],
    ],
    districts: 'Raipur, Bilaspur, Durg, Rajnandgaon, Bastar, Korba',
  },
  HR: {
    population: 25,
    regions: [
      ['hindi', 0.85],
      ['punjabi', 0.1],
      ['muslim', 0.05],
    ],
    districts: 'Gurugram, Faridabad, Hisar, Rohtak, Panipat, Karnal, Ambala',
  },
  DL: {
    population: 17,
    regions: [
      ['hindi', 0.75],
      ['punjabi', 0.1],
      ['muslim', 0.13],
      ['christian', 0.02],
    ],
    districts: 'New Delhi, Central, North East, South, West, Shahdara, Dwarka',
  },
  JK: {
    population: 12,
    regions: [
      ['kashmiri', 0.68],
      ['hindi', 0.28],
      ['punjabi', 0.04],
    ],
    districts: 'Srinagar, Jammu, Anantnag, Baramulla, Kathua, Pulwama',
  },
  UK: {
    population: 10,
    regions: [
      ['hindi', 0.86],
      ['muslim', 0.13],
      ['punjabi', 0.01],
    ],
    districts: 'Dehradun, Haridwar, Nainital, Udham Singh Nagar, Almora',
  },
  HP: {
    population: 7,
    regions: [
      ['hindi', 0.97],
      ['punjabi', 0.03],
    ],
    districts: 'Shimla, Kangra, Mandi, Kullu, Solan',
  },
  TR: {
    population: 3.7,
    regions: [
      ['bengali', 0.9],
      ['muslimBengal', 0.1],
    ],
    districts: 'West Tripura, Gomati, Dhalai, North Tripura',
  },
  ML: {
    population: 3,
    regions: [
      ['northeast', 0.9],
      ['christian', 0.1],
    ],
    districts: 'East Khasi Hills, West Garo Hills, Jaintia Hills, Ri Bhoi',
  },
  MN: {
    population: 2.9,
    regions: [
      ['meitei', 0.7],
      ['northeast', 0.3],
    ],
    districts: 'Imphal West, Imphal East, Thoubal, Bishnupur, Churachandpur',
  },
  NL: {
    population: 2,
    regions: [
      ['northeast', 0.9],
      ['christian', 0.1],
    ],
    districts: 'Kohima, Dimapur, Mokokchung, Tuensang',
  },
  GA: {
    population: 1.5,
    regions: [
      ['marathi', 0.6],
      ['christian', 0.3],
      ['muslim', 0.1],
    ],
    districts: 'North Goa, South Goa',
  },
  AR: {
    population: 1.4,
    regions: [
      ['northeast', 0.7],
      ['himalayan', 0.3],
    ],
    districts: 'Papum Pare, Tawang, West Siang, Lohit',
  },
  PY: {
    population: 1.2,
    regions: [
      ['tamil', 0.87],
      ['christian', 0.07],
      ['muslimSouth', 0.06],
    ],
    districts: 'Puducherry, Karaikal, Mahe, Yanam',
  },
  MZ: {
    population: 1.1,
    regions: [['northeast', 1]],
    districts: 'Aizawl, Lunglei, Champhai',
  },
  CH: {
    population: 1.1,
    regions: [
      ['hindi', 0.5],
      ['punjabi', 0.45],
      ['muslim', 0.05],
    ],
    districts: 'Chandigarh',
  },
  SK: {
    population: 0.6,
    regions: [['himalayan', 1]],
    districts: 'Gangtok, Namchi, Gyalshing, Mangan',
  },
  DH: {
    population: 0.6,
    regions: [
      ['gujarati', 0.8],
      ['hindi', 0.1],
      ['christian', 0.1],
    ],
    districts: 'Dadra and Nagar Haveli, Daman, Diu',
  },
  AN: {
    population: 0.4,
    regions: [
      ['hindi', 0.4],
      ['bengali', 0.3],
      ['tamil', 0.2],
      ['telugu', 0.1],
    ],
    districts: 'South Andaman, North and Middle Andaman, Nicobar',
  },
  LA: {
    population: 0.3,
    regions: [
      ['himalayan', 0.5],
      ['kashmiri', 0.5],
    ],
    districts: 'Leh, Kargil',
  },
  LD: {
    population: 0.06,
    regions: [['muslimSouth', 1]],
    districts: 'Kavaratti, Agatti, Minicoy',
  },
};

/** The 36 State/UT codes the generator knows. */
export const GENERATOR_STATES: readonly string[] = Object.keys(STATES);

/** A weighted choice, precomputed as cumulative weights. */
interface Weighted<T> {
  items: T[];
  cumulative: number[];
}

function weighted<T>(entries: [T, number][]): Weighted<T> {
  let sum = 0;
  const cumulative = entries.map(([, w]) => (sum += w));
  return { items: entries.map(([x]) => x), cumulative: cumulative.map((c) => c / sum) };
}

function choose<T>(w: Weighted<T>, rng: Rng): T {
  const r = rng();
  const last = w.items.length - 1;
  let i = 0;
  while (i < last && r >= (w.cumulative[i] as number)) i++;
  return w.items[i] as T;
}

const STATE_CHOICE = weighted(Object.entries(STATES).map(([code, s]) => [code, s.population]));
const STATE_REGIONS = Object.fromEntries(
  Object.entries(STATES).map(([code, s]) => [code, weighted(s.regions)]),
) as Record<string, Weighted<RegionName>>;
const STATE_DISTRICTS = Object.fromEntries(
  Object.entries(STATES).map(([code, s]) => [code, parts(s.districts).map((d) => d.latin)]),
) as Record<string, string[]>;

// ---------------------------------------------------------------------------------------------
// Composing names
// ---------------------------------------------------------------------------------------------

function pick<T>(list: readonly T[], rng: Rng): T {
  return list[Math.floor(rng() * list.length)] as T;
}

/** A name as a list of parts; `fused` joins a part to the one before without a space. */
type NameParts = (Part & { fused?: boolean })[];

interface Composed {
  name: NameParts;
  father: NameParts;
}

const initialOf = (x: Part): Part => ({ latin: `${x.latin.charAt(0).toUpperCase()}.` });

type Maybe = NameParts[number] | undefined;

/**
 * The parts that are present. Fixed arity and module level rather than rest parameters and a
 * closure: this runs twice per person, and 100,000 persons should take well under a second.
 */
function present(a: Maybe, b?: Maybe, c?: Maybe, d?: Maybe): NameParts {
  const out: NameParts = [];
  if (a !== undefined) out.push(a);
  if (b !== undefined) out.push(b);
  if (c !== undefined) out.push(c);
  if (d !== undefined) out.push(d);
  return out;
}

/**
 * A person's name and father's name in their region's style. `native` restricts every choice
 * to parts with a native spelling and avoids Latin-only forms (initials).
 */
function compose(r: Region, male: boolean, native: boolean, rng: Rng): Composed {
  const given = pick(male ? r.male : r.female, rng);
  const fatherGiven = pick(r.male, rng);
  const surname = r.surnames.length > 0 ? pick(r.surnames, rng) : undefined;
  // Kumar as a middle name, unless the given name already has it (Shiv Kumar).
  const kumar = given.latin.endsWith('Kumar') ? undefined : KUMAR[r.style];

  switch (r.style) {
    case 'hindi':
    case 'bengali':
    case 'odia': {
      const middle = male && kumar && rng() < 0.25 ? kumar : undefined;
      let last: Part | undefined = rng() < 0.92 ? surname : undefined;
      if (!male && r.femaleEnds.length > 0 && rng() < 0.3) last = pick(r.femaleEnds, rng);
      return {
        name: present(given, middle, last),
        father: present(fatherGiven, last === surname ? surname : pick(r.surnames, rng)),
      };
    }
    case 'marathi':
    case 'gujarati': {
      const suffix = r.style === 'gujarati' && rng() < 0.25 ? (male ? BHAI : BEN) : undefined;
      const middle = rng() < 0.6 ? fatherGiven : undefined;
      return {
        name: present(given, suffix && { ...suffix, fused: true }, middle, surname),
        father: present(fatherGiven, surname),
      };
    }
    case 'punjabi': {
      if (rng() < 0.2 && !native) {
        const hindu = pick(PUNJABI_HINDU, rng);
        return { name: [given, hindu], father: [fatherGiven, hindu] };
      }
      const clan = rng() < 0.5 ? surname : undefined;
      return {
        name: present(given, male ? SINGH : KAUR, clan),
        father: present(fatherGiven, SINGH, clan),
      };
    }
    case 'tamil':
    case 'kannada': {
      // "R. Murugan": the initial is the father's given name.
      const roll = rng();
      if (!native && roll < 0.45)
        return { name: [initialOf(fatherGiven), given], father: [fatherGiven] };
      if (roll < 0.8 || surname === undefined) return { name: [given], father: [fatherGiven] };
      return { name: [given, surname], father: [fatherGiven, surname] };
    }
    case 'telugu': {
      const middle = male && kumar && rng() < 0.2 ? kumar : undefined;
      return {
        name: present(given, middle, surname),
        father: present(fatherGiven, surname),
      };
    }
    case 'malayalam': {
      const roll = rng();
      // "Biju K.": the initial is the family (house) name.
      if (!native && roll < 0.3)
        return { name: [given, initialOf(fatherGiven)], father: [fatherGiven] };
      if (roll < 0.45 || surname === undefined) return { name: [given], father: [fatherGiven] };
      return { name: [given, surname], father: [fatherGiven, surname] };
    }
    case 'muslim':
    case 'kashmiri': {
      const prefix =
        male && r.prefixes.length > 0 && rng() < 0.35 ? pick(r.prefixes, rng) : undefined;
      let last = rng() < 0.85 ? surname : undefined;
      if (!male && r.femaleEnds.length > 0 && rng() < 0.4) last = pick(r.femaleEnds, rng);
      const fatherSurname = last === surname ? surname : pick(r.surnames, rng);
      return { name: present(prefix, given, last), father: present(fatherGiven, fatherSurname) };
    }
    case 'meitei': {
      // Family name first: "Laishram Ibomcha Singh", "Laishram Sanatombi Devi".
      const end = male ? p('Singh') : pick(r.femaleEnds, rng);
      return {
        name: present(surname, given, end),
        father: present(surname, fatherGiven, p('Singh')),
      };
    }
    case 'plain':
      return {
        name: present(given, rng() < 0.85 ? surname : undefined),
        father: present(fatherGiven, surname),
      };
  }
}

function render(name: NameParts, native: boolean): string {
  let s = '';
  for (const x of name) {
    const text = native ? (x.native ?? x.latin) : x.latin;
    s += s === '' ? text : x.fused ? text : ` ${text}`;
  }
  return s;
}

/** Spelling changes that people actually make, applied to one word of a Latin name. */
const VARIANTS: readonly (readonly [RegExp, string])[] = [
  [/ee/, 'i'],
  [/(?<=[^aeiou])i(?=[^aeiou])/, 'ee'],
  [/oo/, 'u'],
  [/(?<=[^aeiou])u(?=[^aeiou])/, 'oo'],
  [/w/, 'v'],
  [/v/, 'w'],
  [/sh/, 's'],
  [/ph/, 'f'],
  [/ksh/, 'x'],
  [/x/, 'ksh'],
  [/a$/, 'aa'],
  [/y$/, 'i'],
  [/i$/, 'y'],
  [/ou/, 'au'],
  [/au/, 'ou'],
  [/([bcdgklmnprst])\1/, '$1'],
  [/th/, 't'],
  [/dh/, 'd'],
  [/bh/, 'b'],
  [/q/, 'k'],
  [/z/, 'j'],
  [/e(?=r[^aeiou])/, 'a'],
];

/** The name with one plausible spelling change in one word, or undefined if none applies. */
function spellingVariant(latin: string, rng: Rng): string | undefined {
  const words = latin.split(' ');
  const i = Math.floor(rng() * words.length);
  const word = words[i] as string;
  if (word.length < 3 || word.endsWith('.')) return undefined;
  const lower = word.toLowerCase();
  const applicable = VARIANTS.filter(([re]) => re.test(lower));
  if (applicable.length === 0) return undefined;
  const [re, to] = pick(applicable, rng);
  const changed = lower.replace(re, to);
  words[i] = changed.charAt(0).toUpperCase() + changed.slice(1);
  return words.join(' ');
}

/** Aliases as records carry them: a nickname, a spelling variant, initials, surname first. */
function aliasesFor(latin: NameParts, male: boolean, rng: Rng): string[] {
  const out: string[] = [];
  const n = rng() < 0.3 ? 2 : 1;
  for (let k = 0; k < n; k++) {
    const roll = rng();
    const words = render(latin, false).split(' ');
    let alias: string | undefined;
    if (roll < 0.45) alias = pick(male ? NICKNAMES.male : NICKNAMES.female, rng).latin;
    else if (roll < 0.75) alias = spellingVariant(render(latin, false), rng);
    else if (roll < 0.9 && words.length >= 2) {
      alias = [...words.slice(0, -1).map((w) => `${w.charAt(0)}.`), words[words.length - 1]].join(
        ' ',
      );
    } else if (words.length >= 2) {
      alias = [words[words.length - 1], ...words.slice(0, -1)].join(' ');
    }
    if (alias !== undefined && !out.includes(alias)) out.push(alias);
  }
  return out;
}

/**
 * `count` persons from `seed`; the same arguments always give the same persons. With
 * `opts.state`, all persons are from that State/UT (throws on an unknown code).
 */
export function generatePersons(
  count: number,
  seed: number,
  opts: GenerateOptions = {},
): GeneratedPerson[] {
  const { state, maleShare = 0.85, nativeShare = 0.1 } = opts;
  if (state !== undefined && !(state in STATES)) {
    throw new RangeError(`unknown State/UT code ${JSON.stringify(state)}`);
  }
  const rng = mulberry32(seed);
  const out: GeneratedPerson[] = [];
  for (let n = 0; n < count; n++) {
    const code = state ?? choose(STATE_CHOICE, rng);
    const regionName = choose(STATE_REGIONS[code] as Weighted<RegionName>, rng);
    const male = rng() < maleShare;
    const nativeRegion = NATIVE[regionName];
    const native =
      rng() < nativeShare &&
      (male ? nativeRegion.male : nativeRegion.female).length > 0 &&
      nativeRegion.male.length > 0;
    const { name, father } = compose(
      native ? nativeRegion : REGIONS[regionName],
      male,
      native,
      rng,
    );
    const districts = STATE_DISTRICTS[code] ?? [];
    const person: GeneratedPerson = {
      name: render(name, native),
      fatherName: render(father, native),
      aliases: rng() < 0.15 ? aliasesFor(name, male, rng) : [],
      gender: male ? 'male' : 'female',
      age: 18 + Math.floor(rng() ** 1.6 * 58),
      state: code,
    };
    if (districts.length > 0 && rng() < 0.9) person.district = pick(districts, rng);
    if (native) person.latinName = render(name, false);
    out.push(person);
  }
  return out;
}
