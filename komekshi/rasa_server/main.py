"""The Rasa server's start-up: Rasa made to do less work per message (patches.py), then
Rasa's own command line with the arguments given (`komekshi-rasa run …` as `rasa run …`).

This is the one place the Rasa server's process changes Rasa; importing any module of the
package changes nothing."""

from __future__ import annotations

import sys

from rasa.__main__ import main as rasa_main

from komekshi.rasa_server import patches


def main() -> None:
    patches.install()
    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
