"""The editors' content: what citizens ask and what the bot answers, in Kazakh and Russian.

Editors keep two kinds of files under `content/`, never Rasa's own formats:

- `content/topics/*.yml`, one file per topic (an intent): the questions citizens ask, in both
  languages, the label a "did you mean …?" button shows, and, for topics the bot answers with
  a fixed text (FAQ, greetings), the answer;
- `content/messages/*.yml`: every other sentence the bot says (service cards, handoff,
  operators' chat), each in both languages.

`Content.load()` reads and checks them all, reporting every problem with its file and line
(komekshi/knowledge/located_yaml.py), so an editor can find it; the tools write them back in
the layout editors read (`dump_topic`, `dump_messages`). `make train` turns them, with the
register's service names, the spellings generated from each question and the examples
editors assigned in `make review`, into the NLU data, rules and domain Rasa trains on
(tools/ml/training_data.py, under `build/`, never edited).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from komekshi.core.language import LANGUAGES, Lang
from komekshi.core.settings import ROOT
from komekshi.knowledge.located_yaml import ContentError, read_yaml, where

CONTENT = ROOT / "content"

_INTENT = re.compile(r"^[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)?$")
_RESPONSE = re.compile(r"^utter_[a-z0-9_/]+$")
_PLACEHOLDER = re.compile(r"{(\w+)}")
# Rasa reads [text](entity) and {"entity": …} inside examples as annotations.
_ANNOTATION = re.compile(r"[\[\]{}]")


@dataclass(frozen=True)
class Reply:
    """One thing the bot says, in both languages, with its buttons (title per language)."""

    name: str
    text: dict[Lang, str]
    buttons: list[tuple[dict[Lang, str], str]] = field(default_factory=list)

    def rasa(self) -> list[dict[str, Any]]:
        """Rasa's response: one variation per language, chosen by the `language` slot."""
        variations = []
        for language in LANGUAGES:
            variation: dict[str, Any] = {
                "condition": [{"type": "slot", "name": "language", "value": language}],
                "text": str(self.text[language]),
            }
            if self.buttons:
                variation["buttons"] = [
                    {"title": str(title[language]), "payload": str(payload)}
                    for title, payload in self.buttons
                ]
            variations.append(variation)
        return variations


@dataclass(frozen=True)
class Topic:
    """An intent: how citizens ask it, how a button names it, and its fixed answer if any."""

    intent: str
    # The file, as editors see it (content/topics/…).
    file: str
    # Each question a `Located` string when loaded from a file.
    questions: dict[Lang, list[str]]
    label: dict[Lang, str] | None
    answer: Reply | None
    # Register services this topic's answer covers: their names are not learnt as service
    # questions (the topic owns those questions), and the answer offers their cards.
    services: tuple[str, ...] = ()

    @property
    def response(self) -> str:
        return f"utter_{self.intent}"

    @property
    def base_intent(self) -> str:
        """`faq` for the retrieval intent `faq/hkko`; the intent itself otherwise."""
        return self.intent.split("/")[0]

    @property
    def key(self) -> str:
        """`hkko` for `faq/hkko`, the service id for `ask_service/<id>`: what it is about."""
        return self.intent.split("/")[-1]


@dataclass
class _Problems:
    """Collects every problem of a load, so an editor sees them all at once."""

    items: list[str] = field(default_factory=list)

    def add(self, at: str, message: str) -> None:
        self.items.append(f"{at}: {message}")

    def raise_any(self) -> None:
        if self.items:
            raise ContentError(self.items)


def _texts(
    value: Any, at: str, what: str, problems: _Problems, allow: frozenset[str] = frozenset()
) -> dict[Lang, str] | None:
    """`{kk: …, ru: …}`, both present and non-empty (other keys only from `allow`)."""
    if not isinstance(value, dict):
        problems.add(where(value, at), f"{what}: expected kk: and ru: texts")
        return None
    unknown = set(value) - set(LANGUAGES) - allow
    for key in sorted(unknown):
        problems.add(where(key, at), f"{what}: unknown key '{key}' (expected kk, ru)")
    texts: dict[Lang, str] = {}
    for language in LANGUAGES:
        text = value.get(language)
        if not isinstance(text, str) or not text.strip():
            problems.add(where(value, at), f"{what}: the {_NAMES[language]} text is missing")
        else:
            texts[language] = text
    return texts if len(texts) == len(LANGUAGES) and not unknown else None


_NAMES: dict[Lang, str] = {"kk": "Kazakh (kk)", "ru": "Russian (ru)"}


def _reply(name: str, value: Any, at: str, problems: _Problems) -> Reply | None:
    texts = _texts(value, at, name, problems, allow=frozenset({"buttons"}))
    buttons: list[tuple[dict[Lang, str], str]] = []
    for button in (value.get("buttons") or []) if isinstance(value, dict) else []:
        button_at = where(button, at)
        if not isinstance(button, dict) or not isinstance(button.get("payload"), str):
            problems.add(button_at, f"{name}: a button needs a title (kk, ru) and a payload")
            continue
        title = _texts(button.get("title"), button_at, f"{name}: button title", problems)
        if title:
            buttons.append((title, button["payload"]))
    if texts is None:
        return None
    reply = Reply(name, texts, buttons)
    _check_placeholders(reply, where(value, at), problems)
    return reply


def _check_placeholders(reply: Reply, at: str, problems: _Problems) -> None:
    """Both languages must fill in the same values, or one of them would show `{name}`."""
    found = {
        language: set(_PLACEHOLDER.findall(reply.text[language]))
        | {name for title, _ in reply.buttons for name in _PLACEHOLDER.findall(title[language])}
        for language in LANGUAGES
    }
    if found["kk"] != found["ru"]:
        only_kk = ", ".join(f"{{{n}}}" for n in sorted(found["kk"] - found["ru"]))
        only_ru = ", ".join(f"{{{n}}}" for n in sorted(found["ru"] - found["kk"]))
        detail = "; ".join(
            part
            for part in (
                f"only the Kazakh text has {only_kk}" if only_kk else "",
                f"only the Russian text has {only_ru}" if only_ru else "",
            )
            if part
        )
        problems.add(at, f"{reply.name}: both languages must use the same {{values}}: {detail}")


def _topic(path: Path, root: Path, problems: _Problems) -> Topic | None:
    data = read_yaml(path, root)
    at = f"{path.relative_to(root)}:1"
    if not isinstance(data, dict):
        problems.add(at, "expected intent:, questions: and, optionally, label: and answer:")
        return None
    for key in sorted(set(data) - {"intent", "label", "questions", "answer", "services"}):
        problems.add(where(key, at), f"unknown key '{key}'")
    intent = data.get("intent")
    if not isinstance(intent, str) or not _INTENT.match(intent):
        problems.add(where(data, at), "intent: expected a name like ask_fee or faq/hkko_hours")
        return None
    questions: dict[Lang, list[str]] = {}
    raw = data.get("questions")
    for language in LANGUAGES:
        listed = raw.get(language) if isinstance(raw, dict) else None
        if not isinstance(listed, list) or not listed:
            problems.add(where(raw, at), f"questions: the {_NAMES[language]} list is missing")
            listed = []
        questions[language] = []
        for question in listed:
            if not isinstance(question, str) or not question.strip():
                problems.add(where(listed, at), "questions: an empty question")
            elif "\n" in question.strip():
                problems.add(where(question, at), "a question must be one line")
            elif _ANNOTATION.search(question):
                problems.add(where(question, at), "a question cannot contain [ ] { or }")
            else:
                questions[language].append(question)
    label = _texts(data["label"], at, "label", problems) if "label" in data else None
    answer = _reply(f"utter_{intent}", data["answer"], at, problems) if "answer" in data else None
    services = data.get("services") or []
    if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
        problems.add(where(data, at), "services: expected a list of service ids of the register")
        services = []
    return Topic(intent, str(path.relative_to(root)), questions, label, answer, tuple(services))


def _messages(path: Path, root: Path, problems: _Problems) -> list[Reply]:
    data = read_yaml(path, root)
    at = f"{path.relative_to(root)}:1"
    messages = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(messages, dict):
        problems.add(at, "expected messages: with one entry per message")
        return []
    replies = []
    for name, value in messages.items():
        if not _RESPONSE.match(name):
            problems.add(where(name, at), f"'{name}': a message name starts with utter_")
        elif reply := _reply(name, value, where(name, at), problems):
            replies.append(reply)
    return replies


@dataclass(frozen=True)
class Content:
    """Every topic and message, loaded and checked."""

    topics: list[Topic]
    messages: dict[str, Reply]
    # The file each message is in (content/messages/…).
    message_files: dict[str, str]

    @classmethod
    def load(cls, root: Path = CONTENT) -> Content:
        """Load `root`/topics and `root`/messages; ContentError lists every problem."""
        problems = _Problems()
        base = root.parent
        topics = [
            topic
            for path in sorted((root / "topics").rglob("*.yml"))
            if (topic := _topic(path, base, problems))
        ]
        messages: dict[str, Reply] = {}
        seen: dict[str, str] = {}
        for path in sorted((root / "messages").glob("*.yml")):
            for reply in _messages(path, base, problems):
                if reply.name in seen:
                    problems.add(
                        str(path.relative_to(base)),
                        f"{reply.name} is defined twice (also in {seen[reply.name]})",
                    )
                seen[reply.name] = str(path.relative_to(base))
                messages[reply.name] = reply
        intents: dict[str, str] = {}
        for topic in topics:
            if topic.intent in intents:
                problems.add(
                    f"{topic.file}:1",
                    f"intent {topic.intent} is already the topic of {intents[topic.intent]}",
                )
            intents[topic.intent] = topic.file
            if topic.answer and topic.answer.name in messages:
                problems.add(
                    f"{topic.file}:1",
                    f"{topic.answer.name} is also a message in content/messages",
                )
        problems.raise_any()
        return cls(topics, messages, seen)

    def topic(self, intent: str) -> Topic | None:
        return next((t for t in self.topics if t.intent == intent), None)

    def replies(self) -> dict[str, Reply]:
        """Every response by name: the messages and the topics' answers."""
        answers = {t.response: t.answer for t in self.topics if t.answer}
        return {**self.messages, **answers}

    def responses(self) -> dict[str, list[dict[str, Any]]]:
        """The `responses` section of Rasa's domain."""
        return {name: reply.rasa() for name, reply in sorted(self.replies().items())}

    def labels(self) -> dict[str, dict[Lang, str]]:
        """Button titles of the intents a "did you mean …?" question may offer."""
        return {t.intent: t.label for t in self.topics if t.label}

    def covers(self) -> dict[str, list[str]]:
        """The register services each topic's answer covers, by the topic's intent."""
        return {t.intent: list(t.services) for t in self.topics if t.services}

    def with_service_buttons(self, names: dict[str, dict[Lang, str]]) -> Content:
        """The content whose topic answers offer their services' cards as buttons.

        `names` gives each service's name by id; a service it lacks is an error, named with
        the topic's file.
        """
        missing = [
            f"{topic.file}:1: services: '{service}' is not a service of the register"
            for topic in self.topics
            for service in topic.services
            if service not in names
        ]
        if missing:
            raise ContentError(missing)
        topics = []
        for topic in self.topics:
            if topic.answer and topic.services:
                buttons = [
                    (short_name(names[service]), f'/ask_service{{"service": "{service}"}}')
                    for service in topic.services
                ]
                answer = Reply(topic.answer.name, topic.answer.text, topic.answer.buttons + buttons)
                topic = dataclasses.replace(topic, answer=answer)
            topics.append(topic)
        return dataclasses.replace(self, topics=topics)


def short_name(name: dict[Lang, str]) -> dict[Lang, str]:
    """A service's name fit for a button: without its parenthesised detail."""
    return {language: text.split(" (")[0] for language, text in name.items()}


def iter_questions(content: Content) -> Iterator[tuple[Topic, Lang, str]]:
    """Every question of every topic, with its topic and language."""
    for topic in content.topics:
        for language in LANGUAGES:
            for question in topic.questions[language]:
                yield topic, language, question


# Writing content files (the spreadsheet import and the review tool write them too), in the
# layout editors read: both languages side by side, long texts folded, no quotes unless needed.


def scalar(text: str, flow: bool = False) -> str:
    """`text` as a YAML scalar: plain when it reads back the same (in a flow mapping too)."""
    plain = text.strip() == text and text != ""
    if plain:
        probe = f"{{k: {text}}}" if flow else f"k: {text}"
        try:
            plain = yaml.safe_load(probe) == {"k": text}
        except yaml.YAMLError:
            plain = False
    if plain:
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _block(text: str, indent: str, width: int = 92) -> list[str]:
    """A text as a YAML block scalar: `|-` keeps its lines, `>-` folds a long one."""
    if "\n" in text:
        return ["|-", *(f"{indent}{line}" if line else "" for line in text.split("\n"))]
    if len(indent) + len(text) <= width:
        return [scalar(text)]
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(indent) + len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    if any(not part or part != part.strip() for part in lines):
        return [scalar(text)]
    return [">-", *(f"{indent}{part}" for part in lines)]


def _texts_lines(texts: dict[Lang, str], indent: str) -> list[str]:
    lines = []
    for language in LANGUAGES:
        head, *rest = _block(texts[language], indent + "  ")
        lines += [f"{indent}{language}: {head}", *rest]
    return lines


def _reply_lines(reply: Reply, indent: str) -> list[str]:
    lines = _texts_lines(reply.text, indent)
    if reply.buttons:
        lines.append(f"{indent}buttons:")
        for title, payload in reply.buttons:
            kk, ru = scalar(title["kk"], flow=True), scalar(title["ru"], flow=True)
            lines.append(f"{indent}  - title: {{kk: {kk}, ru: {ru}}}")
            lines.append(f"{indent}    payload: {scalar(payload)}")
    return lines


def dump_topic(topic: Topic, header: str = "") -> str:
    """The text of a topic file."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines.append(f"intent: {topic.intent}")
    if topic.label:
        lines += ["label:", *_texts_lines(topic.label, "  ")]
    lines.append("questions:")
    for language in LANGUAGES:
        lines.append(f"  {language}:")
        lines += [f"    - {scalar(str(question))}" for question in topic.questions[language]]
    if topic.answer:
        lines += ["answer:", *_reply_lines(topic.answer, "  ")]
    if topic.services:
        lines += ["services:", *(f"  - {service}" for service in topic.services)]
    return "\n".join(lines) + "\n"


def dump_messages(replies: list[Reply], header: str = "") -> str:
    """The text of a messages file."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines.append("messages:")
    for reply in replies:
        lines += ["", f"  {reply.name}:", *_reply_lines(reply, "    ")]
    return "\n".join(lines) + "\n"


def header_of(path: Path) -> str:
    """The comment block a content file starts with (kept when a tool rewrites the file)."""
    if not path.exists():
        return ""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[2:] if line.startswith("# ") else line[1:])
    return "\n".join(lines)
