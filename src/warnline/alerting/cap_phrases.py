"""The fixed texts of CAP messages, per language and per alert stage.

A duty officer reading Arabic or Hebrew must get the same short, vetted sentence every
time, with only the area name and the numbers filled in: no free translation.
"""

from __future__ import annotations

from dataclasses import dataclass

from warnline.domain.report import ThreatKind

EXERCISE_MARK = "EXERCISE EXERCISE EXERCISE"
TEST_MARK = "TEST TEST TEST"


@dataclass(frozen=True, kw_only=True, slots=True)
class Phrases:
    """The fixed texts of one language; `{area}` and `{eta}` are filled in."""

    cap_language: str
    event: str
    headline: str
    headline_no_eta: str
    headline_cancel: str
    summary: str
    summary_no_eta: str
    summary_cancel: str
    instruction: str
    instruction_cancel: str
    threats: str
    reason: str
    list_separator: str
    exercise_mark: str
    kinds: dict[ThreatKind, str]
    under_a_minute: str
    headline_early: str
    summary_early: str
    instruction_early: str
    headline_withdrawn: str
    summary_withdrawn: str
    instruction_withdrawn: str
    shelter_time: str
    headline_superseded: str
    instruction_superseded: str
    test_mark: str

    def minutes(self, n: int) -> str:
        """`n` minutes, with the noun form the language needs after a numeral."""
        if self.cap_language == "ar":
            if n == 1:
                return "دقيقة واحدة"
            if n == 2:
                return "دقيقتين"
            return f"{n} دقائق" if 3 <= n <= 10 else f"{n} دقيقة"
        if self.cap_language == "he":
            return "דקה" if n == 1 else f"{n} דקות"
        return "1 minute" if n == 1 else f"{n} minutes"

    def seconds(self, n: int) -> str:
        """`n` seconds (the time to reach shelter is told in seconds, as sirens do)."""
        if self.cap_language == "ar":
            return f"{n} ثانية"
        if self.cap_language == "he":
            return f"{n} שניות"
        return f"{n} seconds"


PHRASES: dict[str, Phrases] = {
    "en": Phrases(
        cap_language="en-US",
        event="Aerial threat",
        headline="Aerial threat to {area}: take shelter now, arrival in {eta}",
        headline_no_eta="Aerial threat to {area}: take shelter now",
        headline_cancel="All clear for {area}: the aerial threat has passed",
        summary="Aerial threat to {area}. Expected arrival in {eta}.",
        summary_no_eta="Aerial threat to {area}.",
        summary_cancel="All clear for {area}: the aerial threat has passed.",
        instruction="Take shelter now. Stay in the protected space until the all-clear.",
        instruction_cancel="All clear. You may leave the protected space.",
        threats="Threats: {counts}.",
        reason="Reason: {reason}",
        list_separator=", ",
        exercise_mark=EXERCISE_MARK,
        kinds={
            ThreatKind.DRONE: "drone",
            ThreatKind.CRUISE_MISSILE: "cruise missile",
            ThreatKind.BALLISTIC_MISSILE: "ballistic missile",
            ThreatKind.ROCKET: "rocket",
            ThreatKind.AIRCRAFT: "aircraft",
            ThreatKind.UNKNOWN: "unidentified object",
        },
        under_a_minute="less than a minute",
        headline_early=(
            "Early warning for {area}: an alert is likely within minutes, arrival in {eta}"
        ),
        summary_early=(
            "Threats detected heading towards {area}. An alert to take shelter is likely "
            "within minutes; expected arrival in {eta}."
        ),
        instruction_early="Get ready to reach the protected space within {shelter} once alerted.",
        headline_withdrawn="Warning cancelled for {area}: the threat is no longer expected",
        summary_withdrawn="Warning cancelled for {area}: the threat is no longer expected.",
        instruction_withdrawn="No action needed. Resume normal activity.",
        shelter_time="Time to reach the protected space: {shelter}.",
        headline_superseded="{area}: this drill has ended. A REAL alert is in force: follow it",
        instruction_superseded="Follow the instructions of the real alert.",
        test_mark=TEST_MARK,
    ),
    "ar": Phrases(
        cap_language="ar",
        event="تهديد جوي",
        headline="تهديد جوي — احتمِ فوراً: {area}، الوصول خلال {eta}",
        headline_no_eta="تهديد جوي — احتمِ فوراً: {area}",
        headline_cancel="زال الخطر: انتهى التهديد الجوي على {area}",
        summary="تهديد جوي نحو {area}. الوصول المتوقع خلال {eta}.",
        summary_no_eta="تهديد جوي نحو {area}.",
        summary_cancel="زال الخطر: انتهى التهديد الجوي على {area}.",
        instruction="احتمِ فوراً في أقرب مكان محمي وابقَ فيه حتى يُعلَن زوال الخطر.",
        instruction_cancel="زال الخطر. يمكنك مغادرة المكان المحمي.",
        threats="التهديدات: {counts}.",
        reason="السبب: {reason}",
        list_separator="، ",
        exercise_mark=f"{EXERCISE_MARK} (تمرين)",
        kinds={
            ThreatKind.DRONE: "طائرة مسيّرة",
            ThreatKind.CRUISE_MISSILE: "صاروخ كروز",
            ThreatKind.BALLISTIC_MISSILE: "صاروخ باليستي",
            ThreatKind.ROCKET: "قذيفة صاروخية",
            ThreatKind.AIRCRAFT: "طائرة",
            ThreatKind.UNKNOWN: "جسم غير محدد",
        },
        under_a_minute="أقل من دقيقة",
        headline_early="إنذار مبكر لـ {area}: يُرجَّح صدور إنذار خلال دقائق، الوصول خلال {eta}",
        summary_early=(
            "رُصدت تهديدات متجهة نحو {area}. يُرجَّح صدور إنذار بالاحتماء خلال دقائق؛ "
            "الوصول المتوقع خلال {eta}."
        ),
        instruction_early="استعد للوصول إلى المكان المحمي خلال {shelter} عند صدور الإنذار.",
        headline_withdrawn="أُلغي التحذير لـ {area}: لم يعد التهديد متوقعاً",
        summary_withdrawn="أُلغي التحذير لـ {area}: لم يعد التهديد متوقعاً.",
        instruction_withdrawn="لا حاجة لأي إجراء. يمكنك استئناف نشاطك المعتاد.",
        shelter_time="الوقت المتاح للوصول إلى المكان المحمي: {shelter}.",
        headline_superseded="{area}: انتهى التمرين. إنذار حقيقي ساري المفعول: اتبع تعليماته",
        instruction_superseded="اتبع تعليمات الإنذار الحقيقي.",
        test_mark=f"{TEST_MARK} (اختبار)",
    ),
    "he": Phrases(
        cap_language="he",
        event="איום אווירי",
        headline="איום אווירי — היכנסו למרחב המוגן מיד: {area}, הגעה בעוד {eta}",
        headline_no_eta="איום אווירי — היכנסו למרחב המוגן מיד: {area}",
        headline_cancel="האירוע הסתיים: {area} — ניתן לצאת מהמרחב המוגן",
        summary="איום אווירי לעבר {area}. הגעה משוערת בעוד {eta}.",
        summary_no_eta="איום אווירי לעבר {area}.",
        summary_cancel="האירוע הסתיים באזור {area}.",
        instruction="היכנסו למרחב המוגן מיד והישארו בו עד להודעה על סיום האירוע.",
        instruction_cancel="האירוע הסתיים. ניתן לצאת מהמרחב המוגן.",
        threats="איומים: {counts}.",
        reason="סיבה: {reason}",
        list_separator=", ",
        exercise_mark=f"{EXERCISE_MARK} (תרגיל)",
        kinds={
            ThreatKind.DRONE: "כטב״ם",
            ThreatKind.CRUISE_MISSILE: "טיל שיוט",
            ThreatKind.BALLISTIC_MISSILE: "טיל בליסטי",
            ThreatKind.ROCKET: "רקטה",
            ThreatKind.AIRCRAFT: "כלי טיס",  # noqa: RUF001 (Hebrew text, not look-alikes)
            ThreatKind.UNKNOWN: "גוף לא מזוהה",
        },
        under_a_minute="פחות מדקה",
        headline_early="התרעה מוקדמת: {area} — צפויה התרעה בדקות הקרובות, הגעה בעוד {eta}",
        summary_early=(
            "זוהו איומים בדרך אל {area}. צפויה התרעה להיכנס למרחב המוגן בדקות הקרובות; "
            "הגעה משוערת בעוד {eta}."
        ),
        instruction_early="היערכו להגיע למרחב המוגן תוך {shelter} עם קבלת ההתרעה.",
        headline_withdrawn="ההתרעה בוטלה: {area} — האיום אינו צפוי עוד",
        summary_withdrawn="ההתרעה לאזור {area} בוטלה: האיום אינו צפוי עוד.",
        instruction_withdrawn="אין צורך בפעולה. ניתן לחזור לשגרה.",
        shelter_time="זמן ההגעה למרחב המוגן: {shelter}.",
        headline_superseded="{area}: התרגיל הסתיים. התרעה אמיתית בתוקף: פעלו לפיה",
        instruction_superseded="פעלו לפי הנחיות ההתרעה האמיתית.",
        test_mark=f"{TEST_MARK} (בדיקה)",
    ),
}
LANGUAGE_ALIASES = {"en-US": "en", "en-GB": "en", "ar-JO": "ar", "he-IL": "he", "iw": "he"}
