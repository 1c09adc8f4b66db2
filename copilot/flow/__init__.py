"""The flow language: models, loading with positions, dumping, schema, expressions, graph."""
