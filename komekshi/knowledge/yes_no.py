"""Yes or no, said in free words: how citizens answer a guide's "is this step done?".

"Да, свидетельство уже получили", "иә, алдық", "жоқ әлі", "нет пока": the model hears the
service the answer names ("свидетельство о смерти") and takes it for a question about it. In a
guide, an answer that starts with a yes or a no, or says the step is done or not yet, is that
answer. Matched on the text folded to one spelling (komekshi.core.language.fold).
"""

from __future__ import annotations

import re

from komekshi.core.language import canonical, fold, plain

_WRITTEN = {
    "no": r"^(нет|неа|жоқ|жок|әлі|али|еще не|ещё не|пока не|пока нет)"
    r"|\b(еще не|ещё не|пока нет|не получ|не подал|не сделал|не оформ|әлі жоқ|әлі ал|әлі тір"
    r"|әлі бер|жоқ әлі|алмадық|алған жоқпыз|бермедік|тіркелмедік|жасамадық)",
    "yes": r"^(да|ага|угу|уже|иә|ия|иа|ие|әрине|конечно|yes|ok|ок)\b"
    r"|\b(уже (получ|подал|сделал|оформ|прикреп|зарегистр|перевел|встал|провер|открыл)"
    r"|получили|подали|сделали|оформили|прикрепились|зарегистрировались|алдық|бердік"
    r"|тіркелдік|тіркеп қойдық|бітті|жасадық|өттік|қойдық|ауыстырдық)",
}
_PATTERNS = {answer: re.compile(canonical(plain(pattern))) for answer, pattern in _WRITTEN.items()}


def yes_or_no(text: str) -> str | None:
    """ "yes", "no", or None when the text says neither (or both)."""
    folded = fold(text)
    found = [answer for answer, pattern in _PATTERNS.items() if pattern.search(folded)]
    return found[0] if len(found) == 1 else None
