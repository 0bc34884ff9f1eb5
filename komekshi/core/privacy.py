"""Mask personal numbers before text reaches a log, a case card or an export.

Citizens paste their IIN, phone and card numbers into chats. Operators may need to see that
a number was given, never the number itself, and logs must never hold one.
"""

from __future__ import annotations

import logging
import re

# Card numbers: 13–19 digits, optionally grouped by spaces or dashes (checked before IINs
# and phones so a 16-digit card is not half-masked as something else).
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
# Phone numbers of Kazakhstan and the region: +7 or 8, then 10 digits in any grouping.
_PHONE = re.compile(r"(?<!\d)(?:\+7|8)[\s\-()]*(?:\d[\s\-()]*){9}\d(?!\d)")
# IIN (individual identification number): 12 digits.
_IIN = re.compile(r"(?<!\d)\d{12}(?!\d)")


def mask(text: str) -> str:
    """Replace IINs, phone and card numbers with labelled placeholders."""
    text = _PHONE.sub("[phone]", text)
    text = _IIN.sub("[IIN]", text)
    return _CARD.sub("[card]", text)


class MaskingFilter(logging.Filter):
    """A logging filter that masks personal numbers in every record it passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class MaskingFormatter(logging.Formatter):
    """Masks the whole formatted record, a traceback and its exception's message included."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


def configure_logging(level: str) -> None:
    """Log to stderr with personal numbers masked, for every logger of the process."""
    handler = logging.StreamHandler()
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
