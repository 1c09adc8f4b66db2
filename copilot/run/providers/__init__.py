"""Model and HTTP providers behind one boundary (`base.py`): sim (offline) and openai."""
