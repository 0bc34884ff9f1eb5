"""The citizens' channel: Telegram in and out, Rasa in between, and the one policy of handing a
citizen to a person."""
