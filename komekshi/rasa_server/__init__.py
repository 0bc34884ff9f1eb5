"""What the Rasa server loads: the NLU components, the REST channel with its payload, the tracker
and lock stores, and Rasa made faster by patches installed at start-up."""
