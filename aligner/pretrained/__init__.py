"""Pretrained word vectors: registry, download cache, and streaming readers."""
