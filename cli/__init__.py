"""The click layer of aligner, installed as ``aligner_cli`` (console script ``aligner``)."""
