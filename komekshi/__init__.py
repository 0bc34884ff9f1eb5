"""Kömekshi: a bilingual (Kazakh/Russian) citizen-service assistant built on Rasa."""
