"""Mapping: each source format's documents in, one normalised ``Alert`` out."""
