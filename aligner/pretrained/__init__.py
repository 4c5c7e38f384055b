"""Pretrained word vectors: registry, sources, download cache, and streaming readers.

``registry`` names the well-known sets; ``gensim_data`` the word-vector models
of gensim-data (``gensim-data:NAME``, md5 + size); ``hub`` resolves ``hf://``
files on the Hugging Face Hub to a commit and the digest the Hub reports.
``download`` fetches any of them (or a URL) into the cache through one path:
``retrieve`` (lock, resume, verify, rename), ``transfer`` the HTTP side,
``urls`` which URLs are accepted and how they are shown, ``verify`` the
digests and content checks, ``cache`` the entries' locks, atomic writes and
checks on use. ``archive`` opens compressed files; ``formats`` detects a file's
format and reads it with ``readers`` (the text and binary readers, ``batches``
parsing their kept rows, ``rows`` what a pass keeps and returns, ``sanity``
the checks that refuse a file yielding nothing sensible); ``fasttext_bin``
reads fastText models without loading them whole (``fasttext_format`` their binary
layout and word table, ``fasttext_subword`` n-grams and vectors as gensim computes them,
``fasttext_extract`` compressed models into the cache).
"""
