"""Pretrained word vectors: registry, download cache, and streaming readers.

``registry`` names the well-known sets; ``download`` fetches one into the cache
(``transfer`` is the HTTP side, ``cache`` the entries' locks, atomic writes and
checks on use); ``archive`` opens compressed files; ``formats`` detects a file's
format and reads it with ``readers`` (the text and binary readers, ``batches``
parsing their kept rows, ``rows`` what a pass keeps and returns, ``sanity``
the checks that refuse a file yielding nothing sensible); ``fasttext_bin``
reads fastText models.
"""
