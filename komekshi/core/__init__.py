"""What every process of Kömekshi shares: language, settings, the vocabulary, Redis key names,
privacy, the sentence model."""
