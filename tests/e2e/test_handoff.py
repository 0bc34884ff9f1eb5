"""Operators and citizens through the emulated Telegram: queue, claim, relay, close, rate.

Every citizen has a first name of their own, so that each test finds its cases in the one
operators' chat the whole session shares.
"""

from __future__ import annotations

import itertools

import httpx
import redis

from tests.conftest import card_title
from tests.e2e.conftest import (
    COLLEAGUE,
    OPERATOR,
    OPERATORS_CHAT,
    WAIT,
    Hours,
    OperatorsChat,
    ask,
    said,
)
from tools.dev.emulator import BotMessage, EmulatorClient, User
from tools.dev.stack import Stack

STRANGER = User(666, "Бөтен")
_ids = itertools.count(80001)


def _citizen(name: str) -> User:
    return User(next(_ids), name)


def _press(telegram: EmulatorClient, user: User, message: BotMessage, title: str) -> None:
    [button] = [b for b in message.buttons if b.text == title]
    telegram.press_button(message.chat_id, user, message.message_id, button.callback_data or "")


def _hand_off(telegram: EmulatorClient, citizen: User, text: str) -> BotMessage:
    """The citizen asks for a person; returns the message with their place in the queue."""
    replies = ask(telegram, citizen, text, count=2)
    return replies[-1]


def _silence(telegram: EmulatorClient, chat_id: int) -> None:
    assert telegram.bot_messages(chat_id, timeout=2.0) == []


def _reply(telegram: EmulatorClient, operator: User, message: BotMessage, text: str) -> None:
    telegram.send_message(OPERATORS_CHAT, operator, text, message.message_id)


def _close(
    telegram: EmulatorClient,
    operators: OperatorsChat,
    operator: User,
    case_id: int,
    card: BotMessage,
) -> None:
    """Close with /close and a resolution button, as an operator does."""
    _reply(telegram, operator, card, "/close")
    question = operators.wait(lambda m: m.text == f"Чем завершилось обращение #{case_id}?")
    _press(telegram, operator, question, "решено")


def test_two_citizens_and_two_operators_at_once(
    telegram: EmulatorClient, operators: OperatorsChat, stack: Stack
) -> None:
    asel, marat = OPERATOR, COLLEAGUE
    aigerim, sergei = _citizen("Айгерім"), _citizen("Сергей")
    ask(telegram, aigerim, "жеке куәлік ауыстыру керек, ЖСН 900101300123, тел +7 701 123 45 67")
    queued_kk = _hand_off(telegram, aigerim, "операторға қосыңызшы")
    assert queued_kk.text.startswith("Кезектегі орныңыз: ")
    assert "Шамамен күту уақыты: " in queued_kk.text
    assert [b.text for b in queued_kk.buttons] == ["Өтінішті қайтарып алу"]
    queued_ru = _hand_off(telegram, sergei, "позовите оператора пожалуйста")
    assert queued_ru.text.startswith("Ваше место в очереди: ")

    case_a, card_a = operators.card("Айгерім")
    case_b, card_b = operators.card("Сергей")
    assert case_a != case_b
    assert "Язык: kk" in card_a.text and "Причина: гражданин попросил оператора" in card_a.text
    assert "Распознанное намерение: request_human (" in card_a.text
    assert "[IIN]" in card_a.text and "900101300123" not in card_a.text
    assert "[phone]" in card_a.text and "701 123" not in card_a.text
    assert "⏳ В очереди, ждёт " in card_a.text
    assert [b.text for b in card_a.buttons] == ["🙋 Взять"]

    # Both operators press «claim» on Aigerim's case: one holds it.
    _press(telegram, asel, card_a, "🙋 Взять")
    _press(telegram, marat, card_a, "🙋 Взять")
    card_a = operators.card_of(case_a, "🟢 Ведёт: Асель")
    assert [b.text for b in card_a.buttons] == [
        "↩️ Вернуть в очередь", "👥 Передать коллеге", "✅ Завершить",
    ]  # fmt: skip
    [joined] = telegram.wait_bot_messages(aigerim.id, timeout=WAIT)
    assert joined.text == "Оператор қосылды, ол осы чатта жауап береді."
    _press(telegram, marat, card_b, "🙋 Взять")
    card_b = operators.card_of(case_b, "🟢 Ведёт: Марат")
    [joined] = telegram.wait_bot_messages(sergei.id, timeout=WAIT)
    assert joined.text == "Оператор подключился и ответит здесь, в этом чате."
    operators.absent(lambda m: m.message_id == card_a.message_id and "Марат" in m.text, 0.5)

    # Marat cannot write to Aigerim: her case is Asel's.
    _reply(telegram, marat, card_a, "Мен де көмектесейін")
    operators.wait(
        lambda m: (
            m.text == f"Обращение #{case_a} ведёт Асель: писать гражданину может только он(а)."
        )
    )

    # Each operator's answer reaches their citizen only, from the bot.
    _reply(telegram, asel, card_a, "Сәлеметсіз бе! Қандай көмек керек?")
    _reply(telegram, marat, card_b, "Здравствуйте, Сергей! Чем помочь?")
    [to_a] = telegram.wait_bot_messages(aigerim.id, timeout=WAIT)
    [to_b] = telegram.wait_bot_messages(sergei.id, timeout=WAIT)
    assert to_a.text == "👤 Оператор: Сәлеметсіз бе! Қандай көмек керек?"
    assert to_b.text == "👤 Оператор: Здравствуйте, Сергей! Чем помочь?"

    # The citizens' messages go to their cases (masked), not to Rasa.
    telegram.send_message(aigerim.id, aigerim, "куәлігім жоғалып қалды, картам 4400 4301 2345 6789")
    telegram.send_message(sergei.id, sergei, "нужна справка о несудимости")
    from_a = operators.wait(lambda m: m.text.startswith(f"💬 #{case_a} Айгерім: "))
    from_b = operators.wait(lambda m: m.text.startswith(f"💬 #{case_b} Сергей: "))
    assert from_a.text == f"💬 #{case_a} Айгерім: куәлігім жоғалып қалды, картам [card]"
    assert from_a.reply_to_message_id == card_a.message_id
    assert from_b.text == f"💬 #{case_b} Сергей: нужна справка о несудимости"
    assert from_b.reply_to_message_id == card_b.message_id
    _silence(telegram, aigerim.id)

    # A reply to a relayed message reaches the case as well as a reply to the card.
    _reply(telegram, asel, from_a, "Жаңа куәлікті ХҚКО-да немесе eGov арқылы аласыз.")
    [to_a] = telegram.wait_bot_messages(aigerim.id, timeout=WAIT)
    assert to_a.text.endswith("Жаңа куәлікті ХҚКО-да немесе eGov арқылы аласыз.")
    _silence(telegram, sergei.id)

    # Asel closes with /close and a resolution; Marat with the card's button.
    _close(telegram, operators, asel, case_a, card_a)
    closed, rating = telegram.wait_bot_messages(aigerim.id, count=2, timeout=WAIT)
    assert closed.text.startswith("Оператор сөйлесуді аяқтады")
    assert rating.text.startswith("Оператордың көмегін 1-ден 5-ке дейін бағалаңызшы")
    assert [b.text for b in rating.buttons] == ["1 ⭐", "2 ⭐", "3 ⭐", "4 ⭐", "5 ⭐"]
    operators.card_of(case_a, "✅ Закрыто: решено. Оценка гражданина: —")
    _press(telegram, marat, card_b, "✅ Завершить")
    question = operators.wait(lambda m: m.text == f"Чем завершилось обращение #{case_b}?")
    _press(telegram, marat, question, "перенаправлено в другой орган")
    closed_b, rating_b = telegram.wait_bot_messages(sergei.id, count=2, timeout=WAIT)
    assert closed_b.text.startswith("Оператор завершил разговор")

    # Ratings; then Rasa answers again.
    _press(telegram, aigerim, rating, "5 ⭐")
    [thanks] = telegram.wait_bot_messages(aigerim.id, timeout=WAIT)
    assert (thanks.message_id, thanks.edited, thanks.buttons) == (rating.message_id, True, [])
    assert thanks.text.startswith("Бағаңызға рахмет!")
    operators.card_of(case_a, "Оценка гражданина: 5")
    _press(telegram, sergei, rating_b, "4 ⭐")
    operators.card_of(case_b, "✅ Закрыто: перенаправлено в другой орган. Оценка гражданина: 4")
    [answer] = ask(telegram, aigerim, "рахмет")
    assert "Көмектесе алғаныма қуаныштымын" in answer.text

    metrics = httpx.get(f"http://127.0.0.1:{stack.config.metrics_port}/metrics").text
    assert 'komekshi_handoff_cases_opened_total{reason="citizen_request"}' in metrics
    assert 'komekshi_handoff_cases_closed_total{resolution="redirected"} 1' in metrics
    assert _value(metrics, "komekshi_handoff_time_to_claim_seconds_count") >= 2
    assert _value(metrics, "komekshi_handoff_handling_seconds_count") >= 2
    assert _value(metrics, 'komekshi_handoff_rating_bucket{le="4"}') >= 1
    assert "900101300123" not in metrics


def _value(metrics: str, name: str) -> float:
    [line] = [line for line in metrics.splitlines() if line.startswith(f"{name} ")]
    return float(line.split()[-1])


def test_release_and_transfer_to_a_colleague(
    telegram: EmulatorClient, operators: OperatorsChat
) -> None:
    dina = _citizen("Дина")
    _hand_off(telegram, dina, "соедините с оператором")
    case, card = operators.card("Дина")
    _press(telegram, OPERATOR, card, "🙋 Взять")
    card = operators.card_of(case, "Ведёт: Асель")
    telegram.wait_bot_messages(dina.id, timeout=WAIT)

    # Given back to the queue, the case can be claimed by a colleague.
    _press(telegram, OPERATOR, card, "↩️ Вернуть в очередь")
    card = operators.card_of(case, "⏳ В очереди")
    _press(telegram, COLLEAGUE, card, "🙋 Взять")
    card = operators.card_of(case, "Ведёт: Марат")
    telegram.wait_bot_messages(dina.id, timeout=WAIT)

    # Marat hands it to Asel, who answers; Marat no longer can.
    _press(telegram, COLLEAGUE, card, "👥 Передать коллеге")
    choice = operators.wait(lambda m: m.text == f"Кому передать обращение #{case}?")
    assert [b.text for b in choice.buttons] == ["Асель"]
    _press(telegram, COLLEAGUE, choice, "Асель")
    operators.wait(lambda m: m.text == f"👥 Обращение #{case} передано: Асель.")
    card = operators.card_of(case, "Ведёт: Асель")
    _reply(telegram, COLLEAGUE, card, "Это уже не моё")
    operators.wait(
        lambda m: m.text == f"Обращение #{case} ведёт Асель: писать гражданину может только он(а)."
    )
    _reply(telegram, OPERATOR, card, "Дина, я продолжу с вами.")
    [answer] = telegram.wait_bot_messages(dina.id, timeout=WAIT)
    assert answer.text == "👤 Оператор: Дина, я продолжу с вами."
    _close(telegram, operators, OPERATOR, case, card)
    telegram.wait_bot_messages(dina.id, count=2, timeout=WAIT)


def test_nobody_else_can_reach_a_case(telegram: EmulatorClient, operators: OperatorsChat) -> None:
    olga = _citizen("Ольга")
    queued = _hand_off(telegram, olga, "хочу поговорить с живым человеком")
    case, card = operators.card("Ольга")

    # A member of the group who is not an operator can neither claim, nor answer, nor close.
    _press(telegram, STRANGER, card, "🙋 Взять")
    _reply(telegram, STRANGER, card, "Я тоже оператор, диктуйте номер карты")
    _reply(telegram, STRANGER, card, "/close resolved")
    # An operator writing from another group reaches nobody.
    telegram.send_message(-2002, OPERATOR, "/close")
    _silence(telegram, olga.id)
    operators.absent(lambda m: f"#{case}" in m.text and "⏳ В очереди" not in m.text)

    # The case is still waiting; the citizen cancels it herself.
    _press(telegram, olga, queued, "Отменить обращение")
    [cancelled] = telegram.wait_bot_messages(olga.id, timeout=WAIT)
    assert cancelled.text.startswith("Обращение отменено.")
    operators.card_of(case, "✅ Закрыто: гражданин отменил обращение")
    _reply(telegram, OPERATOR, card, "Ольга, вы здесь?")
    operators.wait(lambda m: m.text == f"Обращение #{case} уже закрыто.")
    _silence(telegram, olga.id)


def test_bridge_and_redis_restart_mid_conversation(
    telegram: EmulatorClient, operators: OperatorsChat, stack: Stack
) -> None:
    nurlan = _citizen("Нұрлан")
    # Rasa keeps the conversation (its tracker) and its lock in Redis, not in memory.
    [answer] = ask(telegram, nurlan, "жеке куәлікті қалай ауыстырамын")
    assert card_title("id_card_replacement", "kk") in answer.text
    store = redis.Redis.from_url(stack.redis_url)
    assert store.exists(f"komekshi:tracker:tg-{nurlan.id}")
    _hand_off(telegram, nurlan, "маманмен байланыстырыңыз")
    case, card = operators.card("Нұрлан")
    _press(telegram, OPERATOR, card, "🙋 Взять")
    telegram.wait_bot_messages(nurlan.id, timeout=WAIT)
    # Rasa itself keeps the conversation paused while a person handles it.
    rasa = f"{stack.config.rasa_url}/webhooks/rest/webhook"
    assert httpx.post(rasa, json={"sender": f"tg-{nurlan.id}", "message": "сәлем"}).json() == []

    stack.restart_process("bridge")
    telegram.send_message(nurlan.id, nurlan, "анықтама керек еді")
    operators.wait(lambda m: m.text == f"💬 #{case} Нұрлан: анықтама керек еді")
    _reply(telegram, OPERATOR, card, "Қандай анықтама?")
    [answer] = telegram.wait_bot_messages(nurlan.id, timeout=WAIT)
    assert answer.text == "👤 Оператор: Қандай анықтама?"

    tracker = f"{stack.config.rasa_url}/conversations/tg-{nurlan.id}/tracker"
    token = {"token": stack.rasa_token}
    subject = httpx.get(tracker, params=token).json()["slots"]["subject"]
    assert subject == "service:id_card_replacement"

    stack.restart_process("redis")
    # The conversation is still paused in Rasa's tracker, read back from Redis.
    assert httpx.post(rasa, json={"sender": f"tg-{nurlan.id}", "message": "сәлем"}).json() == []
    assert httpx.get(tracker, params=token).json()["slots"]["subject"] == subject
    telegram.send_message(nurlan.id, nurlan, "соттылығы жоқ екені туралы")
    operators.wait(lambda m: m.text == f"💬 #{case} Нұрлан: соттылығы жоқ екені туралы")
    _close(telegram, operators, OPERATOR, case, card)
    closed, rating = telegram.wait_bot_messages(nurlan.id, count=2, timeout=WAIT)
    assert closed.text.startswith("Оператор сөйлесуді аяқтады")
    _press(telegram, nurlan, rating, "5 ⭐")
    telegram.wait_bot_messages(nurlan.id, timeout=WAIT)
    # Back with the bot: Rasa takes turns again (its tracker and lock in the restarted Redis).
    [answer] = ask(telegram, nurlan, "рахмет")
    assert "Көмектесе алғаныма қуаныштымын" in answer.text


def test_two_misses_in_a_row_call_an_operator(
    telegram: EmulatorClient, operators: OperatorsChat
) -> None:
    pyotr = _citizen("Пётр")
    ask(telegram, pyotr, "Здравствуйте")
    [miss] = ask(telegram, pyotr, "ыфвап жлдоэ щшгнр")
    assert miss.text.startswith("Извините, я не понял вопрос")
    handoff, queued = ask(telegram, pyotr, "щшгнр ыфвап", count=2)
    assert handoff.text.startswith(
        "Извините, я снова не понял вопрос, поэтому передал его оператору"
    )
    assert queued.text.startswith("Ваше место в очереди: ")
    case, card = operators.card("Пётр")
    assert "Причина: бот не понял вопрос" in card.text
    assert "Распознанное намерение: nlu_fallback" in card.text
    _reply(telegram, OPERATOR, card, "/close no_reply")
    operators.card_of(case, "✅ Закрыто: гражданин не ответил")


def test_a_complaint_is_offered_an_operator_first(
    telegram: EmulatorClient, operators: OperatorsChat
) -> None:
    erlan = _citizen("Ерлан")
    [offer] = ask(telegram, erlan, "бұл не деген масқара, бір айдан бері жауап жоқ")
    assert offer.text.startswith("Туындаған қолайсыздық үшін кешірім сұраймын.")
    assert [b.text for b in offer.buttons] == ["Иә, операторға жіберіңіз", "Жоқ, рахмет"]
    operators.absent(lambda m: "Гражданин: Ерлан\n" in m.text, 0.5)
    _hand_off(telegram, erlan, "иә")
    _, card = operators.card("Ерлан")
    assert "Причина: жалоба или недовольство, гражданин согласился на оператора" in card.text
    assert "Распознанное намерение: complaint (" in card.text
    _reply(telegram, OPERATOR, card, "/close resolved")


def test_out_of_scope_in_russian_offers_an_operator_by_button(
    telegram: EmulatorClient, operators: OperatorsChat
) -> None:
    ivan = _citizen("Иван")
    [offer] = ask(telegram, ivan, "какая погода будет завтра в Астане")
    assert "передам ваш вопрос оператору" in offer.text
    _press(telegram, ivan, offer, "Да, передайте оператору")
    handoff, _ = telegram.wait_bot_messages(ivan.id, count=2, timeout=WAIT)
    assert handoff.text.startswith("Ваш вопрос передан оператору")
    _, card = operators.card("Иван")
    assert "Причина: вопрос вне тематики бота, гражданин согласился на оператора" in card.text
    _reply(telegram, OPERATOR, card, "/close resolved")


def test_after_hours_a_message_waits_for_opening(
    telegram: EmulatorClient, operators: OperatorsChat, hours: Hours
) -> None:
    hours.set(open_now=False)
    maria = _citizen("Мария")
    ask(telegram, maria, "Здравствуйте")
    [closed] = ask(telegram, maria, "позовите оператора пожалуйста")
    assert closed.text.startswith("Сейчас операторы не работают. Они снова будут на связи: ")
    assert "00:00" in closed.text
    assert [b.text for b in closed.buttons] == ["Отменить обращение"]
    [kept] = ask(telegram, maria, "мне не пришло пособие на ребёнка")
    assert kept.text.startswith("Сообщение сохранено")
    telegram.send_message(maria.id, maria, "ИИН 900101300123")
    _silence(telegram, maria.id)
    operators.absent(lambda m: "Мария" in m.text)

    hours.set(open_now=True)
    case, card = operators.card("Мария")
    assert "⏳ В очереди" in card.text
    operators.wait(lambda m: m.text == f"💬 #{case} Мария: мне не пришло пособие на ребёнка")
    operators.wait(lambda m: m.text == f"💬 #{case} Мария: ИИН [IIN]")
    opened, queued = telegram.wait_bot_messages(maria.id, count=2, timeout=WAIT)
    assert opened.text == "Операторы приступили к работе, ваше обращение поставлено в очередь."
    assert queued.text.startswith("Ваше место в очереди: ")
    _reply(telegram, OPERATOR, card, "/close resolved")


def test_attachments_reach_the_case_and_an_operators_photo_reaches_its_citizen_only(
    telegram: EmulatorClient, operators: OperatorsChat
) -> None:
    saule, other = _citizen("Сәуле"), _citizen("Азамат")
    _hand_off(telegram, saule, "операторға қосыңызшы")
    _hand_off(telegram, other, "оператор керек")
    _, card = operators.card("Сәуле")
    _, other_card = operators.card("Азамат")
    _press(telegram, OPERATOR, card, "🙋 Взять")
    _press(telegram, COLLEAGUE, other_card, "🙋 Взять")
    telegram.wait_bot_messages(saule.id, timeout=WAIT)
    telegram.wait_bot_messages(other.id, timeout=WAIT)

    # What the citizen sends comes to the case in the operators' chat, as it is.
    sent = {
        kind: telegram.send_attachment(saule.id, saule, kind, caption=caption)
        for kind, caption in (("photo", "анықтама"), ("document", None), ("voice", None))
    }
    copies = {
        kind: operators.wait(
            lambda m, kind=kind: m.attachment == kind and m.reply_to_message_id == card.message_id
        )
        for kind in sent
    }
    assert copies["photo"].caption == "анықтама"
    assert len({copy.file_id for copy in copies.values()}) == 3
    _silence(telegram, saule.id)

    # The operator's photo, in reply to the card, reaches that citizen only, from the bot.
    photo = telegram.send_attachment(
        OPERATORS_CHAT,
        OPERATOR,
        "photo",
        caption="Үлгі осындай",
        reply_to_message_id=card.message_id,
    )
    [shown] = telegram.wait_bot_messages(saule.id, timeout=WAIT)
    assert (shown.attachment, shown.caption) == ("photo", "Үлгі осындай")
    assert shown.raw["from"]["is_bot"] and photo != shown.message_id
    _silence(telegram, other.id)
    _reply(telegram, OPERATOR, card, "/close resolved")
    _reply(telegram, COLLEAGUE, other_card, "/close resolved")


def test_outside_a_handoff_attachments_get_the_text_only_answer(
    telegram: EmulatorClient,
) -> None:
    kk, ru = _citizen("Гүлназ"), _citizen("Виктор")
    ask(telegram, kk, "Сәлеметсіз бе")
    ask(telegram, ru, "Здравствуйте")
    for citizen, language in ((kk, "kk"), (ru, "ru")):
        for kind in ("sticker", "photo", "voice", "document"):
            telegram.send_attachment(citizen.id, citizen, kind)
            [answer] = telegram.wait_bot_messages(citizen.id, timeout=WAIT)
            assert answer.text == said("utter_channel_unsupported", language)  # type: ignore[arg-type]


def test_an_attachment_that_cannot_be_relayed_is_explained_to_both_sides(
    telegram: EmulatorClient, operators: OperatorsChat
) -> None:
    # Telegram refuses to copy the file (it is gone, or the chat forbids it).
    timur = _citizen("Тимур")
    _hand_off(telegram, timur, "оператора пожалуйста")
    case, card = operators.card("Тимур")
    telegram.add_fault(
        "copyMessage",
        400,
        chat_id=OPERATORS_CHAT,
        description="Bad Request: message can't be copied",
    )
    telegram.send_attachment(timur.id, timur, "photo")
    [sorry] = telegram.wait_bot_messages(timur.id, timeout=WAIT)
    assert sorry.text.startswith("Извините, не получилось передать ваш файл оператору.")
    notice = operators.wait(lambda m: m.text.startswith(f"📎 #{case} Тимур отправил(а) файл"))
    assert notice.reply_to_message_id == card.message_id
    _reply(telegram, OPERATOR, card, "/close resolved")
