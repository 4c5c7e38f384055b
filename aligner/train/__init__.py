"""Training word vectors on a dataset-0 corpus."""

from aligner.train.word2vec import Word2VecParams, train_word2vec

__all__ = ["METHODS", "Word2VecParams", "train_word2vec"]

METHODS = ("word2vec",)
