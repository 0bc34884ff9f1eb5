"""What the bot knows: the register of public services, the editors' content and the search over
their names."""
