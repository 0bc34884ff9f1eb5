"""ML tools: build the training data, train, evaluate on the held-out set, ablation and fine-tuning
experiments."""
