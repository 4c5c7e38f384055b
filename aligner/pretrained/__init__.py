"""Pretrained word vectors: registry, download cache, and streaming readers.

``registry`` names the well-known sets; ``download`` fetches one into the cache
(``transfer`` is the HTTP side, ``cache`` the entries' locks, atomic writes and
checks on use); ``archive`` opens compressed files; ``formats`` and ``readers``
stream vectors out of them; ``fasttext_bin`` reads fastText models.
"""
