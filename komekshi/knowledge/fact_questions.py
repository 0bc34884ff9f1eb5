"""Which one fact of a service a question asks: its cost, time, documents, place, online or not.

A question that names a service and asks one thing of it ("сколько стоит загранпаспорт",
"ЖК ашуға қандай құжаттар керек", "spravka o nesudimosti skolko dnei") gets that fact, not the
whole card; a follow-up with no service in it ("а онлайн можно?") is classified by the model
as its own intent. Patterns match the text folded to one spelling (komekshi.core.language.fold:
Latin to Cyrillic, no Kazakh letters), so every script and keyboard meets the same pattern.
"""

from __future__ import annotations

import re

from komekshi.core.language import canonical, fold, plain

# The facts a citizen can ask for. `amount` (how much a benefit pays) is answered from the
# service's result, which states the amount where the rules give one.
ASKED_FACTS = ("fee", "processing_time", "documents", "where", "online", "who", "amount")

_WRITTEN: dict[str, str] = {
    "fee": (
        r"ск?о(ль|л)?к[оа] сто[ий]|скока сто|скоко сто|стоимост|\bцен[аыу]\b|пошлин|платн"
        r"|сколько платить|сколько заплатить|сколько денег надо|канша тура|куны канша|кунын"
        r"|канша туратын|багасы|акысы|акылы|тегин|\bбаж|канша толеу|канша акша кажет"
        r"|канша акша керек"
    ),
    "processing_time": (
        r"сколько дней|скок[оа] дней|сколько (по )?времени|как долго|как быстро|сколько ждать"
        r"|когда будет готов|когда готов"
        r"|срок оформлен|срок изготовл|срок рассмотр|сроки оформ|за сколько дней"
        r"|через сколько|в течени[ие] скольк|канша кун|канша уакыт|кашан дайын|неше кун"
        r"|канша кунде|мерзими канша|канша мерзим|канша уакытта"
        # "сколько делают", "делают сколько", "через скока придут": how long, not how much.
        r"|(ск?о(ль|л)?к[оа]|скока|скоко) (по времени |его |ее |их |это )?(дела|рассматр"
        r"|оформл|жда|длит|занима|готов|выда|идет|прид)"
        r"|(делают|делается|рассматривают|рассматривается|оформляют|готовят|ждать|длится)"
        r" (ск?о(ль|л)?к[оа]|скока|скоко)|через (скока|скоко)|когда (придут|приду|дадут"
        r"|выдадут|пришлют|зачисл)|кашан (бер|шыга|тус|кел|дайын)"
    ),
    "documents": (
        r"документ|какие справки|что нужно принести|что принести|что с собой"
        r"|кужат|не апару|кандай аныктама"
    ),
    "where": (
        r"куда обращ|куда идти|куда пойти|куда подава|где подать|где подава|где оформ"
        r"|куда подать|куда обратиться|в какой орган|в какое учрежд|кайда бар|кайда жугин"
        r"|кайда тапсыр|кайда апар|кайда обращ|кайда берем|кайда оформ|кайдан аламын"
        r"|где (его |ее |их |это )?(бер|взя|получ|посмотр|наход|сдела|оформ|дела|сда|выда"
        r"|заказ)|кайдан (ал|тап|кара)|кайда (жазыл|кара|жаса|алад|алы|бер)"
    ),
    "online": (
        r"онлайн|онлине|через телефон|через интернет|через егов|через egov|без цон"
        r"|не выходя из дома|дистанционно|удаленно|в приложени|телефоннан|телефон аркылы"
        r"|интернет аркылы|егов аркылы|егов пен|уйден шыкпай|хкко[гк]а бармай|цон[гк]а бармай"
        r"|уйде отырып"
    ),
    "who": (
        r"кто может|кому положен|кто имеет право|положено ли|имею ли я право|могу ли я получ"
        r"|кто получа|кому дают|кимге бер|кимге тиесил|ким ала ала|маган тиесил|кукыгым бар"
        r"|кукым бар|маган бола ма|маган береме"
        r"|имеют? право|кому можно|кому (его |это )?дают|со скольки лет|с какого возраста"
        r"|неше жас|канша жас|ким тапсыр|ким ала|кимдер|кимге кер"
    ),
    "amount": (
        r"сколько плат|какая сумма|какой размер|размер пособ|размер выплат|сколько дают"
        r"|сколько выплачива|сколько получ|канша толей|канша бер|молшери|канша акша бер"
        r"|канша алам"
    ),
}


# Written as people spell the words; compiled in the folded spelling the text is matched in.
_PATTERNS = {fact: re.compile(canonical(plain(pattern))) for fact, pattern in _WRITTEN.items()}


def asked_fact(text: str) -> str | None:
    """The fact a question asks (a name of ASKED_FACTS), or None when it asks none. Where it
    names several, the one asked last: the question comes after what it is about
    ("бесплатное питание кому положено" asks who, not the fee)."""
    folded = fold(text)
    found = [(match.end(), fact) for fact, pattern in _PATTERNS.items()
             if (match := _last(pattern, folded))]  # fmt: skip
    return max(found)[1] if found else None


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    matches = list(pattern.finditer(text))
    return matches[-1] if matches else None
