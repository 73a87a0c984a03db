// The console's own words in English, Arabic and Hebrew. Alert texts are not here: they
// come with each alert, per language, exactly as its CAP message's info blocks say them.
const WORDS = {
  en: {
    sign_in: "Sign in", username: "User name", password: "Password", sign_out: "Sign out",
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
  },
};
// Manual entries (manual.js): merged into the words above, one block per language.
const MANUAL_WORDS = {
  en: {
    manual_entry: "Manual entry", report_by_hand: "Report by hand", latitude: "Latitude", longitude: "Longitude",
    altitude: "Altitude (m, if known)", observed_at: "Time observed (UTC)", heading: "Heading (degrees, if known)",
    speed: "Speed (m/s, if known)", source: "Source (who reported it)", enter_report: "Enter report",
    report_entered: "Report {id} entered: it joins the picture like any report.",
    refused: "Refused ({field}): {reason}",
    kind_unknown: "unknown", kind_drone: "drone", kind_cruise_missile: "cruise missile",
    kind_ballistic_missile: "ballistic missile", kind_rocket: "rocket", kind_aircraft: "aircraft",
    identity_unknown: "unknown", identity_pending: "pending", identity_suspect: "suspect", identity_hostile: "hostile",
    identity_neutral: "neutral", identity_assumed_friend: "assumed friend", identity_friend: "friend",
    draft_alert: "Draft a manual alert", areas: "Areas to alert", manual_stage: "Stage", alert_text: "Message text (why people are warned)",
    approval_rule: "Areas of another partner make it coalition-wide: a second person must approve it.",
    submit_draft: "Submit draft", draft_pending: "Draft {id} waits for a second person's approval.",
    draft_issued: "Draft {id} is being issued to your own partner.",
    pending_approvals: "Manual alerts and pending approvals", drafted_by: "drafted by {who} ({id})",
    status_pending_approval: "Pending approval", status_issued: "Issued", status_rejected: "Rejected",
    status_expired: "Expired unapproved", status_ended: "Ended", expires_in: "expires in {t}",
    decided: "decided by {who}: {reason}", approve: "Approve", reject: "Reject", approval_reason: "Note (required to reject)",
    end_all_clear: "All clear", end_cancel: "Withdraw alert", end_reason: "Why it ends",
    answer_sent: "Sent: the node records it.", own_draft: "Your own draft: another person must approve it.",
  },
  ar: {
    manual_entry: "إدخال يدوي", report_by_hand: "بلاغ يدوي", latitude: "خط العرض", longitude: "خط الطول",
    altitude: "الارتفاع (م، إن عُرف)", observed_at: "وقت الرصد (UTC)", heading: "الاتجاه (درجات، إن عُرف)",
    speed: "السرعة (م/ث، إن عُرفت)", source: "المصدر (من أبلغ)", enter_report: "إدخال البلاغ",
    report_entered: "أُدخل البلاغ {id}: ينضم إلى الصورة كأي بلاغ.",
    refused: "مرفوض ({field}): {reason}",
    kind_unknown: "غير معروف", kind_drone: "طائرة مسيّرة", kind_cruise_missile: "صاروخ جوّال",
    kind_ballistic_missile: "صاروخ باليستي", kind_rocket: "قذيفة صاروخية", kind_aircraft: "طائرة",
    identity_unknown: "غير معروف", identity_pending: "قيد التحديد", identity_suspect: "مشتبه به", identity_hostile: "معادٍ",
    identity_neutral: "محايد", identity_assumed_friend: "صديق مفترض", identity_friend: "صديق",
    draft_alert: "مسودة إنذار يدوي", areas: "المناطق المراد إنذارها", manual_stage: "المرحلة", alert_text: "نص الرسالة (سبب الإنذار)",
    approval_rule: "مناطق شريك آخر تجعله على مستوى التحالف: يجب أن يوافق عليه شخص ثانٍ.",
    submit_draft: "إرسال المسودة", draft_pending: "المسودة {id} بانتظار موافقة شخص ثانٍ.",
    draft_issued: "المسودة {id} قيد الإصدار لشريككم.",
    pending_approvals: "الإنذارات اليدوية والموافقات المعلّقة", drafted_by: "أعدّها {who} ({id})",
    status_pending_approval: "بانتظار الموافقة", status_issued: "صدر", status_rejected: "رُفض",
    status_expired: "انتهت مهلته دون موافقة", status_ended: "انتهى", expires_in: "تنتهي المهلة خلال {t}",
    decided: "قرّر {who}: {reason}", approve: "موافقة", reject: "رفض", approval_reason: "ملاحظة (مطلوبة للرفض)",
    end_all_clear: "زوال الخطر", end_cancel: "سحب الإنذار", end_reason: "سبب الإنهاء",
    answer_sent: "أُرسل: تسجّله العقدة.", own_draft: "مسودتك: يجب أن يوافق عليها شخص آخر.",
  },
  he: {
    manual_entry: "הזנה ידנית", report_by_hand: "דיווח ידני", latitude: "קו רוחב", longitude: "קו אורך",
    altitude: "גובה (מ׳, אם ידוע)", observed_at: "זמן התצפית (UTC)", heading: "כיוון (מעלות, אם ידוע)",
    speed: "מהירות (מ׳/שנ׳, אם ידועה)", source: "מקור (מי דיווח)", enter_report: "הזנת דיווח",
    report_entered: "הדיווח {id} הוזן: הוא מצטרף לתמונה כמו כל דיווח.",
    refused: "נדחה ({field}): {reason}",
    kind_unknown: "לא ידוע", kind_drone: "כטב״ם", kind_cruise_missile: "טיל שיוט",
    kind_ballistic_missile: "טיל בליסטי", kind_rocket: "רקטה", kind_aircraft: "כלי טיס",
    identity_unknown: "לא ידוע", identity_pending: "בבירור", identity_suspect: "חשוד", identity_hostile: "עוין",
    identity_neutral: "ניטרלי", identity_assumed_friend: "ידידותי משוער", identity_friend: "ידידותי",
    draft_alert: "טיוטת התרעה ידנית", areas: "אזורים להתרעה", manual_stage: "שלב", alert_text: "נוסח ההודעה (סיבת ההתרעה)",
    approval_rule: "אזורים של שותף אחר הופכים אותה לכלל־קואליציונית: אדם שני חייב לאשר.",
    submit_draft: "שליחת טיוטה", draft_pending: "הטיוטה {id} ממתינה לאישור של אדם שני.",
    draft_issued: "הטיוטה {id} יוצאת לשותף שלכם.",
    pending_approvals: "התרעות ידניות ואישורים ממתינים", drafted_by: "נוסחה על ידי {who} ({id})",
    status_pending_approval: "ממתינה לאישור", status_issued: "הופצה", status_rejected: "נדחתה",
    status_expired: "פגה ללא אישור", status_ended: "הסתיימה", expires_in: "פגה בעוד {t}",
    decided: "הוחלט על ידי {who}: {reason}", approve: "אישור", reject: "דחייה", approval_reason: "הערה (חובה לדחייה)",
    end_all_clear: "האירוע הסתיים", end_cancel: "משיכת ההתרעה", end_reason: "סיבת הסיום",
    answer_sent: "נשלח: הצומת רושם זאת.", own_draft: "הטיוטה שלך: אדם אחר חייב לאשר אותה.",
  },
};
for (const [code, words] of Object.entries(MANUAL_WORDS)) Object.assign(WORDS[code], words);
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
