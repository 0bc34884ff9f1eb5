"""The question inside a long message is found, whatever it is written in."""

from __future__ import annotations

from komekshi.rasa_server.components.focus import focus

STORY_RU = (
    "Мы кандасы из Монголии, приехали в Караганду в мае. Сыну 7 лет, он по-русски не говорит, "
    "немного по-казахски. В сентябре ему в школу, а мы ещё ничего не оформили. "
    "Куда нести документы и что нужно?"
)
STORY_KK = (
    "Сәлеметсіз бе, мен ауылда тұрамын, күйеуім вахтада жұмыс істейді, үш балам бар. Үлкен "
    "ұлым биыл тоғызыншы сыныпты бітірді, қалаға барып оқығысы келеді. Колледжге қандай "
    "құжаттар керек"
)


def test_the_question_of_a_long_message_is_its_focus() -> None:
    assert focus(STORY_RU) == "Куда нести документы и что нужно?"
    assert focus(STORY_KK) == "Колледжге қандай құжаттар керек"


def test_a_short_message_is_its_own_focus() -> None:
    assert focus("как получить справку о несудимости?") is None


def test_a_long_message_without_a_question_is_focused_on_its_end() -> None:
    story = " ".join(["Вчера я ходил в ЦОН и долго стоял в очереди."] * 4)
    assert focus(story + " Мне нужна справка о несудимости.") == "Мне нужна справка о несудимости."
