"""Custom Rasa actions: thin adapters from the dialogue to the `bot` package."""
