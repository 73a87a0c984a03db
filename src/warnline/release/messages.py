"""What a person is told on a person-addressed channel (SMS, voice, e-mail, webhook, ...).

Built here, in the release stage, because these are outbound bytes like any other: the
message names the alert's area and arrival, never sources, tracks or other partners, and
it goes only to the alert's own partner. Fixed short phrases per language (a duty officer
must get the same vetted sentence every time); only area, minutes and the code vary.
Speech uses the partner's own prompt (e.g. espeak phoneme input for Hebrew, whose plain
text espeak reads badly) when the agreement gives one, else English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warnline.domain import Alert, MsgType

_TEXT = {
    "en": (
        "{mark}Aerial threat to {area}: take shelter, arrival in {eta}.",
        "{mark}All clear for {area}.",
        "Reply ACK {code} to acknowledge.",
        "{n} min",
        "under 1 min",
    ),
    "ar": (
        "{mark}تهديد جوي نحو {area}: احتمِ فوراً، الوصول خلال {eta}.",
        "{mark}زال الخطر عن {area}.",
        "للتأكيد أرسل ACK {code}",
        "{n} دقيقة",
        "أقل من دقيقة",
    ),
    "he": (
        "{mark}איום אווירי לעבר {area}: היכנסו למרחב המוגן, הגעה בעוד {eta}.",
        "{mark}האירוע הסתיים באזור {area}.",
        "לאישור השיבו ACK {code}",
        "{n} דקות",
        "פחות מדקה",
    ),
}
_SPOKEN_EN = (
    "{mark}Aerial threat to {area}. Arrival in {eta}. Take shelter. "
    "Press 1 to acknowledge. Again: aerial threat to {area}. Press 1 to acknowledge."
)
_MARK = {"en": "EXERCISE. ", "ar": "تمرين. ", "he": "תרגיל. "}


@dataclass(frozen=True, kw_only=True)
class PersonMessage:
    """One rendered message for one person; channels only carry it."""

    subject: str
    text: str
    spoken: str
    spoken_language: str
    view: dict[str, Any]


def _eta(alert: Alert, language: str) -> str:
    table = _TEXT[language]
    if alert.time_to_arrival_s is None:
        return "?"
    minutes = int(alert.time_to_arrival_s // 60)
    return table[4] if minutes < 1 else table[3].format(n=minutes)


def person_message(
    alert: Alert,
    view: dict[str, Any],
    *,
    language: str,
    code: str,
    prompts: dict[str, str] | None = None,
    exercise: bool = True,
) -> PersonMessage:
    """`view` is the partner's released alert view (Release.alert)."""
    lang = language if language in _TEXT else "en"
    table = _TEXT[lang]
    mark = _MARK[lang] if exercise else ""
    if alert.msg_type is MsgType.CANCEL:
        line = table[1].format(mark=mark, area=alert.area_name)
    else:
        line = table[0].format(mark=mark, area=alert.area_name, eta=_eta(alert, lang))
    text = f"{line} {table[2].format(code=code)}"
    prompt = (prompts or {}).get("alert")
    if prompt:
        spoken, spoken_language = prompt.format(area=alert.area_name), lang
    elif lang == "ar":
        spoken, spoken_language = f"{line} {line}", "ar"
    else:
        eta = _eta(alert, "en")
        spoken = _SPOKEN_EN.format(
            mark=_MARK["en"] if exercise else "", area=alert.area_name, eta=eta
        )
        spoken_language = "en"
    subject = f"[{alert.severity.value}] {alert.headline}"[:160]
    return PersonMessage(
        subject=subject,
        text=text,
        spoken=spoken,
        spoken_language=spoken_language,
        view={**view, "ack_code": code},
    )


# Offers of lead (or requests for consent) to a commander. Built from the assignment as
# released to the commander's partner (Release.assignment): the incident, the sector by its
# agreement name, the partner consent is asked for as that partner may be named to it, and
# the deadline. Never the explanation or the ranking: they name other candidates.
_OFFER = {
    "en": (
        "{mark}Lead offer: incident {incident}, sector {sector}. Answer by {deadline} UTC.",
        "{mark}Consent asked: may {actor} lead the response to incident {incident} over "
        "your territory? Answer by {deadline} UTC.",
        "Reply ACCEPT {code} or DECLINE {code}.",
    ),
    "ar": (
        "{mark}عرض قيادة: الحادث {incident}، القطاع {sector}. الرد قبل {deadline} UTC.",
        "{mark}طلب موافقة: هل يقود {actor} الاستجابة للحادث {incident} فوق أراضيكم؟ "
        "الرد قبل {deadline} UTC.",
        "للقبول أرسل ACCEPT {code} وللرفض DECLINE {code}",
    ),
    "he": (
        "{mark}הצעת הובלה: אירוע {incident}, גזרה {sector}. יש להשיב עד {deadline} UTC.",
        "{mark}בקשת הסכמה: האם {actor} יוביל את התגובה לאירוע {incident} מעל שטחכם? "
        "יש להשיב עד {deadline} UTC.",
        "לקבלה השיבו ACCEPT {code}, לדחייה DECLINE {code}",
    ),
}
# Spoken without the incident id (read out letter by letter it says little): the same
# words for every offer in a sector, so the speech is synthesised once.
_SPOKEN_OFFER_EN = {
    "lead": "{mark}Lead offer for sector {sector}. Press 1 to accept, 2 to decline. "
    "Again: press 1 to accept, 2 to decline.",
    "consent": "{mark}Consent asked: may {actor} lead the response over your territory? "
    "Press 1 to accept, 2 to decline. Again: press 1 to accept, 2 to decline.",
}
_SPOKEN_OFFER_AR = "اضغط 1 للقبول و 2 للرفض."


def offer_message(
    view: dict[str, Any],
    *,
    sector: str,
    language: str,
    code: str,
    prompts: dict[str, str] | None = None,
    exercise: bool = True,
) -> PersonMessage:
    """`view` is the offer as released to the commander's partner (Release.assignment);
    `sector` the response sector's name in the agreement."""
    lang = language if language in _OFFER else "en"
    reply = _OFFER[lang][2]
    expires = view.get("expires_at")
    deadline = datetime.fromisoformat(expires).strftime("%H:%M:%S") if expires else "?"
    fields = {
        "incident": view["incident_id"],
        "sector": sector,
        "actor": view.get("on_behalf") or "?",
        "deadline": deadline,
    }

    def line(language: str, mark: str) -> str:
        template = _OFFER[language][1 if view.get("purpose") == "consent" else 0]
        return template.format(mark=mark, **fields)

    mark = _MARK[lang] if exercise else ""
    text = f"{line(lang, mark)} {reply.format(code=code)}"
    prompt = (prompts or {}).get("offer")
    if prompt:
        spoken, spoken_language = prompt.format(**fields), lang
    elif lang == "ar":
        spoken, spoken_language = f"{line('ar', mark)} {_SPOKEN_OFFER_AR}", "ar"
    else:
        purpose = "consent" if view.get("purpose") == "consent" else "lead"
        spoken = _SPOKEN_OFFER_EN[purpose].format(mark=_MARK["en"] if exercise else "", **fields)
        spoken_language = "en"
    subject = f"[lead offer] incident {view['incident_id']}"
    return PersonMessage(
        subject=subject,
        text=text,
        spoken=spoken,
        spoken_language=spoken_language,
        view={**view, "answer_code": code},
    )
