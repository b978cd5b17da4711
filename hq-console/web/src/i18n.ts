// The console's message catalogues (English and Hindi) for what the network answers: the broker's
// answer to a broadcast and its refusal reasons in plain words, the broker link, the approval
// wait. The operator's choice of language is kept in this browser.
import { useSyncExternalStore } from 'react';

/** Languages of the catalogues. */
export type Lang = 'en' | 'hi';
export const LANGS: Array<{ code: Lang; label: string }> = [
  { code: 'en', label: 'English' },
  { code: 'hi', label: 'हिन्दी' },
];

const en = {
  'outcome.queued': "Queued — waiting for the broker's answer",
  'outcome.accepted': 'Accepted by the broker as log entry #{seq}',
  'outcome.refused': 'Refused by the broker',
  'outcome.pending': 'Pending — a second duty officer must approve it',
  'outcome.rejected': 'Rejected by {by}',
  'link.up': 'Broker linked',
  'link.down': 'Broker link down',
  'link.connecting': 'Connecting to the broker…',
  'link.offline': 'Console offline — reconnecting',
  'approve.waiting':
    'Waiting for your own signature ({left} s left of {total} s). In a terminal where your HQ agent (your key) is, run:',
  'approve.after': 'The console sends the broadcast as soon as the broker has your signature.',
  'approve.timeout':
    'Not signed yet: the wait ended. The draft stays at the broker; sign it with the command below, then press Approve again.',
  'refusal.REFERENCE_UNKNOWN':
    'The alert it updates or cancels was not sent by this console, or the broker does not know it.',
  'refusal.SCOPE_FORBIDDEN':
    'This console may not address these stations or ask for these channels.',
  'refusal.APPROVAL_REQUIRED': "A national broadcast needs a second duty officer's approval.",
  'refusal.APPROVAL_INVALID':
    "The approval did not verify: it is not a valid HQ officer's approval of this alert.",
  'refusal.APPROVER_SAME_AS_SENDER': 'The approving officer must be someone other than the sender.',
  'refusal.EXPIRED': 'The alert had already expired when the broker received it.',
  'refusal.SIGNATURE_INVALID': "The alert's signature did not verify.",
  'refusal.SIGNER_MISMATCH': 'The alert was signed by another identity than the one connected.',
  'refusal.FIELD_INVALID': 'A field of the alert is invalid.',
  'refusal.ENUM_UNKNOWN': 'A field of the alert has a value the broker does not know.',
  'refusal.TOO_LARGE': 'The alert is too large.',
  'refusal.CERT_REFUSED': "The console's certificate was refused (revoked or expired).",
  'refusal.IDENTITY_FORBIDDEN': 'This console may not send through this broker.',
  'refusal.INTERNAL': 'The broker failed to take it; send it again.',
  'refusal.other': 'The broker refused it.',
} as const;

/** A message key. */
export type MessageKey = keyof typeof en;

const hi: Record<MessageKey, string> = {
  'outcome.queued': 'कतार में — ब्रोकर के उत्तर की प्रतीक्षा',
  'outcome.accepted': 'ब्रोकर ने लॉग प्रविष्टि #{seq} के रूप में स्वीकार किया',
  'outcome.refused': 'ब्रोकर ने अस्वीकार किया',
  'outcome.pending': 'लंबित — दूसरे ड्यूटी अधिकारी की स्वीकृति आवश्यक',
  'outcome.rejected': '{by} ने अस्वीकार किया',
  'link.up': 'ब्रोकर से जुड़ा',
  'link.down': 'ब्रोकर लिंक बंद',
  'link.connecting': 'ब्रोकर से जोड़ा जा रहा है…',
  'link.offline': 'कंसोल ऑफ़लाइन — फिर से जोड़ा जा रहा है',
  'approve.waiting':
    'आपके अपने हस्ताक्षर की प्रतीक्षा ({total} में से {left} सेकंड शेष)। जिस टर्मिनल में आपका मुख्यालय एजेंट (आपकी कुंजी) है, वहाँ चलाएँ:',
  'approve.after': 'ब्रोकर को आपका हस्ताक्षर मिलते ही कंसोल प्रसारण भेज देगा।',
  'approve.timeout':
    'अभी हस्ताक्षर नहीं हुआ: प्रतीक्षा समाप्त। मसौदा ब्रोकर पर बना रहता है; नीचे दिए आदेश से हस्ताक्षर करें, फिर दोबारा स्वीकृत करें दबाएँ।',
  'refusal.REFERENCE_UNKNOWN':
    'जिस अलर्ट को अद्यतन या रद्द किया जा रहा है, वह इस कंसोल ने नहीं भेजा था, या ब्रोकर उसे नहीं जानता।',
  'refusal.SCOPE_FORBIDDEN': 'यह कंसोल इन थानों को संबोधित नहीं कर सकता या ये माध्यम नहीं माँग सकता।',
  'refusal.APPROVAL_REQUIRED': 'राष्ट्रीय प्रसारण के लिए दूसरे ड्यूटी अधिकारी की स्वीकृति आवश्यक है।',
  'refusal.APPROVAL_INVALID':
    'स्वीकृति सत्यापित नहीं हुई: यह इस अलर्ट के लिए किसी मान्य मुख्यालय अधिकारी की स्वीकृति नहीं है।',
  'refusal.APPROVER_SAME_AS_SENDER': 'स्वीकृति देने वाला अधिकारी प्रेषक से अलग होना चाहिए।',
  'refusal.EXPIRED': 'ब्रोकर तक पहुँचने से पहले ही अलर्ट की समय-सीमा समाप्त हो चुकी थी।',
  'refusal.SIGNATURE_INVALID': 'अलर्ट का हस्ताक्षर सत्यापित नहीं हुआ।',
  'refusal.SIGNER_MISMATCH': 'अलर्ट पर जुड़ी हुई पहचान से अलग पहचान के हस्ताक्षर थे।',
  'refusal.FIELD_INVALID': 'अलर्ट का कोई क्षेत्र अमान्य है।',
  'refusal.ENUM_UNKNOWN': 'अलर्ट के किसी क्षेत्र का मान ब्रोकर नहीं पहचानता।',
  'refusal.TOO_LARGE': 'अलर्ट बहुत बड़ा है।',
  'refusal.CERT_REFUSED': 'कंसोल का प्रमाणपत्र अस्वीकार हुआ (निरस्त या समाप्त)।',
  'refusal.IDENTITY_FORBIDDEN': 'यह कंसोल इस ब्रोकर से नहीं भेज सकता।',
  'refusal.INTERNAL': 'ब्रोकर इसे नहीं ले सका; फिर से भेजें।',
  'refusal.other': 'ब्रोकर ने इसे अस्वीकार किया।',
};

const CATALOGUES: Record<Lang, Record<MessageKey, string>> = { en, hi };
const STORAGE_KEY = 'cctns.lang';

let current: Lang = (() => {
  try {
    return window.localStorage.getItem(STORAGE_KEY) === 'hi' ? 'hi' : 'en';
  } catch {
    return 'en';
  }
})();
const listeners = new Set<() => void>();

/** Chooses the language of the catalogues (kept in this browser). */
export function setLang(lang: Lang): void {
  current = lang;
  try {
    window.localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // A browser without storage keeps the choice for this page only.
  }
  for (const l of listeners) l();
}

/** The chosen language; components re-render when it changes. */
export function useLang(): Lang {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
}

/** A message in `lang`, with `{name}` placeholders filled. */
export function t(lang: Lang, key: MessageKey, vars: Record<string, string | number> = {}): string {
  return CATALOGUES[lang][key].replace(/\{(\w+)\}/g, (m, k: string) =>
    k in vars ? String(vars[k]) : m,
  );
}

/** A broker refusal in plain words (the code itself is shown beside it). */
export function refusalText(lang: Lang, code: string): string {
  const key = `refusal.${code}` as MessageKey;
  return key in en ? t(lang, key) : t(lang, 'refusal.other');
}
