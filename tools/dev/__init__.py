"""Development tools: the local stack of every process, the Telegram emulator's client, chat from a
terminal."""
