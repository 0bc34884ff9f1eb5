"""The operators' desk: cases in the operators' Telegram group, behind one operator guard, and the
case store in Redis."""
