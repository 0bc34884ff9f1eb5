"""Custom Rasa actions, split by feature: services, topics, life situations, clarification,
language, handoff. The action server (server.py) has rasa-sdk register every Action it finds
in this package's modules."""
