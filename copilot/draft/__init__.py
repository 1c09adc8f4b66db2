"""Drafting flows from briefs: prompts, LLM client, repair loop, offline drafter."""
