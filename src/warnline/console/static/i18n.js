// The console's own words in English, Arabic and Hebrew. Alert texts are not here: they
// come with each alert, per language, exactly as its CAP message's info blocks say them.
const WORDS = {
  en: {
    sign_in: "Sign in", username: "Username", password: "Password", sign_out: "Sign out",
    needs_action: "Needs action", handled: "Acknowledged and ended", assignments: "Lead assignments",
    picture: "Air picture", nothing: "Nothing waits for an answer.", partner: "Partner", all_partners: "All partners",
    language: "Language", online: "online", offline: "offline", exercise: "EXERCISE EXERCISE EXERCISE",
    mute: "Mute alarm for 2 minutes", muted_until: "Alarm muted until {t}: unmute", enable_sound: "Enable alarm sound",
    early_warning: "EARLY WARNING", alert: "TAKE SHELTER", update: "UPDATE", all_clear: "ALL CLEAR", cancel: "CANCELLED",
    acknowledge: "Acknowledge {area}", most_urgent: "Acknowledge {area} (most urgent)", acked_by: "Acknowledged by {who}",
    acking: "Acknowledging…", queued: "Acknowledgement queued: sent when the link is back",
    unconfirmed: "The node did not confirm the acknowledgement: acknowledge again",
    waiting_roles: "Waiting for: {roles} (each role must acknowledge)", waiting_floor: "Waiting for the {partner} watch floor",
    step: " · escalation step {step} of {steps}", round: ", round {round}", next: " · next: {roles} by {channels}",
    shelter: "time to shelter {s} s", shelter_now: "SHELTER NOW",
    count_mine: "({open} open, {mine} for you)", count: "({open} open)",
    offer_within: "Lead offer: answer within {t}", offer_up: "Lead offer: time is up, passing to the next partner", offer_now: "Lead offer: answer now",
    accept: "Accept lead", decline: "Decline", consent: "Consent", refuse: "Refuse", override: "Override lead", ranking: "Ranking",
    lead_is: "lead: {p}", escalated: "escalated to the coordination cell", offered: "lead offered to {p}",
    consent_asked: "consent asked of {p} for {q}", handover: "{what} (hand-over; {p} leads until accepted)", rule: "{what} ({rule} rule)",
    new_alert: "New alert: {stage}, {area}. {headline}", title_alert: "({n}) ALERT: acknowledge", title: "Warnline console",
    channel_down: "Channel down: {name}", skips: " (escalation skips it)",
    track: "Track", kind: "Kind", identity: "Identity", position: "Position", sources: "Sources", first_area: "First area at risk",
    override_title: "Override the lead of {id}", override_now: "Now: {what}", new_lead: "New lead", reason: "Reason",
    confirm_override: "Confirm override", cancel_button: "Cancel", reason_needed: "Give the reason for the override: it goes into the record.",
    offline_not_sent: "Offline: not sent. Try again when the link is back.",
    incidents: "Incidents and record", refresh: "Refresh incidents", no_incidents: "No incidents.", time: "Time", step_col: "Step", what: "What", record_col: "Record",
    timeline_of: "Timeline of {id}", record: "Record #{seq}", checking: "Checking the proof…",
    proof_ok: "In the signed record: entry {seq} of {size} (head of {at}); proof checked in this browser.", proof_bad: "The proof does not lead to the signed head.",
    proof_missing: "No proof could be fetched.", withheld: "The entry itself is not released to you; its hash is what is proved.",
    no_lead: "no lead yet", incident_open: "open", incident_opened: "Incident opened", incident_ended: "Incident ended",
    step_reports: "Reports", step_incident: "Incident", step_alert: "Alert", step_ack: "Acknowledgement", step_delivery: "Delivery",
    step_lead: "Lead", step_answer: "Answer", step_override: "Override", step_offer_delivery: "Lead offer sent",
    reports_text: "{n} reports of {track} by {source}", ack_text: "{user} acknowledged {id} v{v} ({channel})",
    delivery_text: "{what} to {who} by {channel}: {n} attempt(s)", outcome_sent: "sent", outcome_delivered: "delivered", outcome_failed: "failed",
    answer_yes: "{user} ({p}) accepted", answer_no: "{user} ({p}) declined", override_text: "{user} named {p} to lead: {reason}",
  },
  ar: {
    sign_in: "تسجيل الدخول", username: "اسم المستخدم", password: "كلمة المرور", sign_out: "تسجيل الخروج",
    needs_action: "بحاجة إلى إجراء", handled: "تم الإقرار أو انتهى", assignments: "تعيينات القيادة",
    picture: "الصورة الجوية", nothing: "لا شيء ينتظر الرد.", partner: "الشريك", all_partners: "كل الشركاء",
    language: "اللغة", online: "متصل", offline: "غير متصل", exercise: "تمرين تمرين تمرين",
    mute: "كتم الإنذار لمدة دقيقتين", muted_until: "الإنذار مكتوم حتى {t}: إلغاء الكتم", enable_sound: "تفعيل صوت الإنذار",
    early_warning: "إنذار مبكر", alert: "توجّهوا إلى الملجأ", update: "تحديث", all_clear: "زوال الخطر", cancel: "أُلغي",
    acknowledge: "إقرار {area}", most_urgent: "إقرار {area} (الأكثر إلحاحًا)", acked_by: "أقرّ به: {who}",
    acking: "جارٍ الإقرار…", queued: "الإقرار في الانتظار: يُرسل عند عودة الاتصال",
    unconfirmed: "لم تؤكد العقدة الإقرار: أقرّوا مرة أخرى",
    waiting_roles: "بانتظار: {roles} (على كل دور أن يقرّ)", waiting_floor: "بانتظار غرفة المراقبة في {partner}",
    step: " · مرحلة التصعيد {step} من {steps}", round: "، الجولة {round}", next: " · التالي: {roles} عبر {channels}",
    shelter: "زمن الاحتماء {s} ث", shelter_now: "احتموا الآن",
    count_mine: "({open} مفتوحة، {mine} لك)", count: "({open} مفتوحة)",
    offer_within: "عرض القيادة: أجب خلال {t}", offer_up: "عرض القيادة: انتهى الوقت، ينتقل إلى الشريك التالي", offer_now: "عرض القيادة: أجب الآن",
    accept: "قبول القيادة", decline: "رفض", consent: "موافقة", refuse: "رفض الموافقة", override: "تجاوز القيادة", ranking: "الترتيب",
    lead_is: "القيادة: {p}", escalated: "أُحيل إلى خلية التنسيق", offered: "عُرضت القيادة على {p}",
    consent_asked: "طُلبت موافقة {p} لصالح {q}", handover: "{what} (تسليم؛ {p} يقود حتى القبول)", rule: "{what} (قاعدة {rule})",
    new_alert: "إنذار جديد: {stage}، {area}. {headline}", title_alert: "({n}) إنذار: أقرّوا", title: "وحدة تحكم Warnline",
    channel_down: "قناة متوقفة: {name}", skips: " (التصعيد يتخطاها)",
    track: "المسار", kind: "النوع", identity: "الهوية", position: "الموقع", sources: "المصادر", first_area: "أول منطقة معرّضة للخطر",
    override_title: "تجاوز قيادة {id}", override_now: "الآن: {what}", new_lead: "القائد الجديد", reason: "السبب",
    confirm_override: "تأكيد التجاوز", cancel_button: "إلغاء", reason_needed: "اذكروا سبب التجاوز: يُدوَّن في السجل.",
    offline_not_sent: "غير متصل: لم يُرسل. حاولوا مجددًا عند عودة الاتصال.",
    incidents: "الحوادث والسجل", refresh: "تحديث الحوادث", no_incidents: "لا توجد حوادث.", time: "الوقت", step_col: "الخطوة", what: "التفاصيل", record_col: "السجل",
    timeline_of: "التسلسل الزمني للحادثة {id}", record: "القيد رقم {seq}", checking: "جارٍ التحقق من الإثبات…",
    proof_ok: "في السجل الموقّع: القيد {seq} من {size} (رأس {at})؛ تحقق هذا المتصفح من الإثبات.", proof_bad: "الإثبات لا يؤدي إلى الرأس الموقّع.",
    proof_missing: "تعذّر جلب الإثبات.", withheld: "القيد نفسه غير مُفرج عنه لكم؛ المُثبَت هو بصمته.",
    no_lead: "لا قائد بعد", incident_open: "مفتوحة", incident_opened: "فُتحت الحادثة", incident_ended: "انتهت الحادثة",
    step_reports: "بلاغات", step_incident: "حادثة", step_alert: "إنذار", step_ack: "إقرار", step_delivery: "تسليم",
    step_lead: "القيادة", step_answer: "رد", step_override: "تجاوز", step_offer_delivery: "إرسال عرض القيادة",
    reports_text: "{n} بلاغًا عن {track} من {source}", ack_text: "أقرّ {user} بالإنذار {id} الإصدار {v} ({channel})",
    delivery_text: "{what} إلى {who} عبر {channel}: {n} محاولة", outcome_sent: "أُرسل", outcome_delivered: "سُلّم", outcome_failed: "فشل",
    answer_yes: "{user} ({p}) قَبِل", answer_no: "{user} ({p}) رفض", override_text: "{user} عيّن {p} للقيادة: {reason}",
  },
  he: {
    sign_in: "כניסה", username: "שם משתמש", password: "סיסמה", sign_out: "יציאה",
    needs_action: "דורש פעולה", handled: "אושרו או הסתיימו", assignments: "הקצאות הובלה",
    picture: "תמונה אווירית", nothing: "אין דבר שממתין לתשובה.", partner: "שותף", all_partners: "כל השותפים",
    language: "שפה", online: "מחובר", offline: "מנותק", exercise: "תרגיל תרגיל תרגיל",
    mute: "השתק אזעקה לשתי דקות", muted_until: "האזעקה מושתקת עד {t}: בטל השתקה", enable_sound: "הפעל צליל אזעקה",
    early_warning: "התרעה מוקדמת", alert: "היכנסו למרחב המוגן", update: "עדכון", all_clear: "האירוע הסתיים", cancel: "בוטל",
    acknowledge: "אישור {area}", most_urgent: "אישור {area} (הדחוף ביותר)", acked_by: "אושר על ידי {who}",
    acking: "מאשר…", queued: "האישור ממתין: יישלח כשהקשר יחזור",
    unconfirmed: "הצומת לא אישר את הקבלה: אשרו שוב",
    waiting_roles: "ממתין ל: {roles} (כל תפקיד חייב לאשר)", waiting_floor: "ממתין לחדר המצב של {partner}",
    step: " · שלב הסלמה {step} מתוך {steps}", round: ", סבב {round}", next: " · הבא: {roles} דרך {channels}",
    shelter: "זמן התגוננות {s} שנ׳", shelter_now: "היכנסו עכשיו",
    count_mine: "({open} פתוחות, {mine} עבורך)", count: "({open} פתוחות)",
    offer_within: "הצעת הובלה: השיבו תוך {t}", offer_up: "הצעת הובלה: הזמן תם, עוברת לשותף הבא", offer_now: "הצעת הובלה: השיבו עכשיו",
    accept: "קבלת הובלה", decline: "דחייה", consent: "הסכמה", refuse: "סירוב", override: "עקיפת הובלה", ranking: "דירוג",
    lead_is: "מוביל: {p}", escalated: "הועבר לתא התיאום", offered: "ההובלה הוצעה ל־{p}",
    consent_asked: "התבקשה הסכמת {p} עבור {q}", handover: "{what} (העברה; {p} מוביל עד הקבלה)", rule: "{what} (כלל {rule})",
    new_alert: "התרעה חדשה: {stage}, {area}. {headline}", title_alert: "({n}) התרעה: אשרו", title: "מסוף Warnline",
    channel_down: "ערוץ מושבת: {name}", skips: " (ההסלמה מדלגת עליו)",
    track: "מסלול", kind: "סוג", identity: "זיהוי", position: "מיקום", sources: "מקורות", first_area: "אזור ראשון בסיכון",
    override_title: "עקיפת ההובלה של {id}", override_now: "כעת: {what}", new_lead: "מוביל חדש", reason: "סיבה",
    confirm_override: "אישור עקיפה", cancel_button: "ביטול", reason_needed: "ציינו את סיבת העקיפה: היא נרשמת ברשומה.",
    offline_not_sent: "מנותק: לא נשלח. נסו שוב כשהקשר יחזור.",
    incidents: "אירועים ורשומה", refresh: "רענון האירועים", no_incidents: "אין אירועים.", time: "שעה", step_col: "שלב", what: "פירוט", record_col: "רשומה",
    timeline_of: "ציר הזמן של {id}", record: "ערך #{seq}", checking: "בודק את ההוכחה…",
    proof_ok: "ברשומה החתומה: ערך {seq} מתוך {size} (ראש מ־{at}); ההוכחה נבדקה בדפדפן זה.", proof_bad: "ההוכחה אינה מובילה לראש החתום.",
    proof_missing: "לא ניתן היה להביא הוכחה.", withheld: "הערך עצמו לא שוחרר אליך; מה שמוכח הוא הגיבוב שלו.",
    no_lead: "אין מוביל עדיין", incident_open: "פתוח", incident_opened: "האירוע נפתח", incident_ended: "האירוע הסתיים",
    step_reports: "דיווחים", step_incident: "אירוע", step_alert: "התרעה", step_ack: "אישור", step_delivery: "מסירה",
    step_lead: "הובלה", step_answer: "תשובה", step_override: "עקיפה", step_offer_delivery: "הצעת הובלה נשלחה",
    reports_text: "{n} דיווחים על {track} מאת {source}", ack_text: "{user} אישר את {id} גרסה {v} ({channel})",
    delivery_text: "{what} אל {who} דרך {channel}: {n} ניסיונות", outcome_sent: "נשלח", outcome_delivered: "נמסר", outcome_failed: "נכשל",
    answer_yes: "{user} ({p}) קיבל", answer_no: "{user} ({p}) דחה", override_text: "{user} מינה את {p} להוביל: {reason}",
  },
};
export const LANGUAGES = { en: "English", ar: "العربية", he: "עברית" };
const RTL = new Set(["ar", "he"]);
const KEY = "warnline.lang";

let lang = WORDS[localStorage.getItem(KEY)] ? localStorage.getItem(KEY) : "en";
export const language = () => lang;

// A word of the current language with {name} filled in from `vars`.
export function t(key, vars = {}) {
  const text = (WORDS[lang] && WORDS[lang][key]) || WORDS.en[key] || key;
  return text.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

// Every element marked data-i18n takes the word of that key; the page's language and
// direction follow (Arabic and Hebrew right to left).
export function applyLanguage(next) {
  if (next && WORDS[next]) { lang = next; localStorage.setItem(KEY, lang); }
  document.documentElement.lang = lang;
  document.documentElement.dir = RTL.has(lang) ? "rtl" : "ltr";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}
