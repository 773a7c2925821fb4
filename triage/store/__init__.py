"""The workspace store: the investigation log, its projections, verification and anchoring."""
