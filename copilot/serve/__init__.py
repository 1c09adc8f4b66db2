"""`flowgen serve`: a flow's webhook trigger as a real HTTP endpoint (docs/architecture.md, "Serving")."""
