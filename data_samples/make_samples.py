"""Deterministic generator for the bundled sample data of ``aligner``.

Run ``python data_samples/make_samples.py`` to regenerate every file in this
directory in place (``corpus.txt``, ``train.tsv``, ``test.tsv``, ``vocab.txt``,
``vectors.glove.txt`` and ``README.md``). Standard library only; every random
choice comes from a ``random.Random`` seeded from ``--seed``, and nothing
iterates over an unordered set, so two runs give byte-identical files.

Design (see README.md for the numbers):

* dataset 0 (``corpus.txt``): unlabelled, lowercase sentences, each about one
  of four topics (music, film, sports, cooking). About half of the tokens of a
  sentence are words of its topic (Zipf-distributed), the rest shared filler.
  The ambiguous verb "play"/"played"/"plays" occurs in music, film and sports.
* dataset 1 (``train.tsv`` / ``test.tsv``): short labelled texts. Each topic's
  words are split into a *seen* half (the only topic words in train.tsv) and a
  *held-out* half (most topic words of test.tsv), so a classifier with a random
  embedding cannot label most test texts, while vectors trained on the corpus
  place the held-out words near their topic. Texts are capitalized at the
  start, some topic words are capitalized mid-sentence, and a few words
  (made-up names, typos, rare words) never occur in the corpus.
* ``vocab.txt``: token counts over the texts of train.tsv and test.tsv.
* ``vectors.glove.txt``: a tiny GloVe-format file (10 dimensions).
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

DEFAULT_SEED = 20240601

TOPICS = ("music", "film", "sports", "cooking")


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Each topic: nouns, verbs, adjectives, most frequent first (the order is the
# Zipf rank inside each part of speech). No word belongs to two topics.
TOPIC_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "music": {
        "noun": _words(
            "guitar band song album concert piano singer melody drums chord violin lyrics "
            "orchestra rhythm tune bass harmony musician microphone choir composer symphony "
            "trumpet saxophone drummer guitarist cello pianist"
        ),
        "verb": _words(
            "sang recorded strummed composed rehearsed tuned hummed jammed drummed whistled "
            "harmonized serenaded"
        ),
        "adj": _words(
            "acoustic catchy melodic upbeat rhythmic jazzy orchestral soulful lyrical symphonic"
        ),
    },
    "film": {
        "noun": _words(
            "movie actor director scene cinema camera actress script trailer screen sequel plot "
            "premiere screenplay villain producer popcorn character documentary cast blockbuster "
            "subtitles projector filmmaker stuntman montage hollywood cinematographer"
        ),
        "verb": _words(
            "filmed directed starred screened acted premiered dubbed narrated reshot rewound "
            "captioned storyboarded"
        ),
        "adj": _words(
            "cinematic dramatic animated romantic suspenseful comedic theatrical subtitled "
            "widescreen noir"
        ),
    },
    "sports": {
        "noun": _words(
            "football team match goal coach player stadium referee league ball tournament season "
            "striker trophy soccer tennis penalty basketball goalkeeper athlete championship "
            "racket defender jersey midfielder scoreboard sprinter marathon"
        ),
        "verb": _words(
            "scored kicked tackled coached dribbled sprinted blocked refereed jogged intercepted "
            "volleyed wrestled"
        ),
        "adj": _words(
            "athletic competitive defensive olympic offensive tactical unbeaten sporty undefeated "
            "varsity"
        ),
    },
    "cooking": {
        "noun": _words(
            "recipe kitchen oven flour butter sauce garlic chef soup onion pan dough sugar pasta "
            "salt cake bread pepper cheese salad knife spoon skillet stew vegetables ingredients "
            "cookbook spatula"
        ),
        "verb": _words(
            "baked chopped stirred fried roasted simmered sliced seasoned whisked boiled grilled "
            "kneaded"
        ),
        "adj": _words("delicious spicy crispy creamy tasty savory salty tender juicy buttery"),
    },
}

# The textbook ambiguous verb: "play guitar", "play a movie", "play football".
PLAY_FORMS = ("play", "played", "plays")
PLAY_TOPICS = ("music", "film", "sports")

# Shared filler (function words and generic words), used by every topic.
FILLER: dict[str, tuple[str, ...]] = {
    "det": _words("the a this that our their my his her some every another"),
    "pron": _words("we they you he she everyone people friends someone"),
    "obj": _words("them us it me him all there"),
    "prep": _words("with in on at for from after before during near about of to into without"),
    "adv": _words(
        "really very quite often always never usually still just also carefully slowly quickly "
        "almost too"
    ),
    "time": _words("yesterday today tonight again together later finally soon"),
    "conj": _words("and but so because while then when"),
    "aux": _words("will can did would could not"),
    "gverb": _words("liked loved found wanted enjoyed shared discussed remembered"),
}

# Words of dataset 1 that never occur in corpus.txt (not even lowercased).
MADE_UP_NAMES = _words("Zarvik Melindra Tovrek Pellaro Ondrasz Brivelle Quenby Idrasil")
TYPOS = {
    "guitar": "guitr",
    "melody": "meloddy",
    "movie": "moive",
    "director": "directer",
    "football": "footbal",
    "referee": "referree",
    "recipe": "recipie",
    "kitchen": "kitchn",
    "piano": "pianno",
    "sauce": "sause",
    "concert": "concret",
    "actor": "acter",
    "stadium": "stadim",
    "coach": "coahc",
}
RARE_WORDS = _words("quixotic lugubrious crepuscular perspicacious ineffable halcyon")

CORPUS_SENTENCES = 8000
CORPUS_LEN = (6, 16)
CORPUS_TOPIC_FRACTION = (0.5, 0.6)
D1_PER_LABEL = 100  # per file, so 400 lines in train.tsv and 400 in test.tsv
D1_LEN = (5, 12)
D1_TOPIC_WORDS = (1, 3)
TEST_ALL_HELD_OUT = 0.8  # share of test texts whose topic words are all held-out
CAPITALIZE_MID = 0.05  # share of mid-sentence topic words written capitalized
GLOVE_DIM = 10
GLOVE_NOISE = 0.3
GLOVE_PER_TOPIC = {"noun": 8, "verb": 4, "adj": 3}  # 15 words per topic


def _zipf_weights(n: int, exponent: float) -> list[float]:
    return [1.0 / (rank + 1) ** exponent for rank in range(n)]


class Picker:
    """Weighted choice over a fixed word list with a fixed generator."""

    def __init__(self, words: Sequence[str], weights: Sequence[float]) -> None:
        self.words = list(words)
        self.cum: list[float] = []
        total = 0.0
        for w in weights:
            total += w
            self.cum.append(total)

    def __call__(self, rng: random.Random) -> str:
        return rng.choices(self.words, cum_weights=self.cum, k=1)[0]


def split_seen_held_out(topic: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Alternate by frequency rank: even ranks are seen, odd ranks are held-out."""
    seen: dict[str, list[str]] = {}
    held: dict[str, list[str]] = {}
    for pos, words in TOPIC_WORDS[topic].items():
        seen[pos] = [w for i, w in enumerate(words) if i % 2 == 0]
        held[pos] = [w for i, w in enumerate(words) if i % 2 == 1]
    return seen, held


def all_topic_words() -> dict[str, str]:
    """Map every topic word to its topic (insertion-ordered)."""
    out: dict[str, str] = {}
    for topic in TOPICS:
        for words in TOPIC_WORDS[topic].values():
            for w in words:
                if w in out:
                    raise ValueError(f"{w!r} is in two topics")
                out[w] = topic
    return out


def check_word_lists() -> None:
    topic_of = all_topic_words()
    filler = [w for ws in FILLER.values() for w in ws]
    if len(filler) != len(set(filler)):
        raise ValueError("duplicate filler word")
    shared = [*filler, *PLAY_FORMS]
    for w in shared:
        if w in topic_of:
            raise ValueError(f"{w!r} is both filler and topic word")
    corpus_words = set(topic_of) | set(shared)
    absent = [*MADE_UP_NAMES, *TYPOS.values(), *RARE_WORDS]
    for w in absent:
        if w.lower() in corpus_words:
            raise ValueError(f"absent word {w!r} is a corpus word")
    for w in TYPOS:
        if w not in topic_of:
            raise ValueError(f"typo source {w!r} is not a topic word")
    for topic in TOPICS:
        sizes = {pos: len(ws) for pos, ws in TOPIC_WORDS[topic].items()}
        if sizes != {"noun": 28, "verb": 12, "adj": 10}:
            raise ValueError(f"{topic}: expected 28 nouns, 12 verbs, 10 adjectives, got {sizes}")


class SentenceMaker:
    """Loose chunk grammar: [TIME] SUBJ [ADV] VERB NP (PP)* [TIME] [CONJ clause].

    ``topic_word(pos)`` draws a topic word of a part of speech; ``verb()`` draws
    the main verb (a topic verb, a form of "play", or a generic verb). The knobs
    set how topic-dense the sentence is.
    """

    def __init__(
        self,
        rng: random.Random,
        topic_word: Callable[[str], str],
        fillers: dict[str, Picker],
        *,
        p_play: float,
        p_topic_verb: float,
        p_pron_subj: float,
        p_det: float,
        adj_counts: Sequence[float],
        p_compound: float,
        pp_counts: Sequence[float],
        p_pp_filler_obj: float,
        p_adv: float,
        p_time: float,
        p_clause: float,
    ) -> None:
        self.rng = rng
        self.topic_word = topic_word
        self.f = fillers
        self.p_play = p_play
        self.p_topic_verb = p_topic_verb
        self.p_pron_subj = p_pron_subj
        self.p_det = p_det
        self.adj_counts = adj_counts
        self.p_compound = p_compound
        self.pp_counts = pp_counts
        self.p_pp_filler_obj = p_pp_filler_obj
        self.p_adv = p_adv
        self.p_time = p_time
        self.p_clause = p_clause

    def _count(self, weights: Sequence[float]) -> int:
        return self.rng.choices(range(len(weights)), weights=weights, k=1)[0]

    def noun_phrase(self) -> list[tuple[str, bool]]:
        rng = self.rng
        out: list[tuple[str, bool]] = []
        if rng.random() < self.p_det:
            out.append((self.f["det"](rng), False))
        for _ in range(self._count(self.adj_counts)):
            out.append((self.topic_word("adj"), True))
        if rng.random() < self.p_compound:
            out.append((self.topic_word("noun"), True))
        out.append((self.topic_word("noun"), True))
        return out

    def subject(self) -> list[tuple[str, bool]]:
        if self.rng.random() < self.p_pron_subj:
            return [(self.f["pron"](self.rng), False)]
        return self.noun_phrase()

    def verb(self) -> tuple[str, bool]:
        rng = self.rng
        r = rng.random()
        if r < self.p_play:
            return (rng.choice(PLAY_FORMS), False)
        if r < self.p_play + self.p_topic_verb:
            return (self.topic_word("verb"), True)
        return (self.f["gverb"](rng), False)

    def clause(self) -> list[tuple[str, bool]]:
        rng = self.rng
        out = self.subject()
        if rng.random() < self.p_adv:
            kind = rng.choice(("adv", "adv", "aux"))
            out.append((self.f[kind](rng), False))
        out.append(self.verb())
        out.extend(self.noun_phrase())
        for _ in range(self._count(self.pp_counts)):
            out.append((self.f["prep"](rng), False))
            if rng.random() < self.p_pp_filler_obj:
                out.append((self.f["obj"](rng), False))
            else:
                out.extend(self.noun_phrase())
        return out

    def sentence(self) -> list[tuple[str, bool]]:
        rng = self.rng
        out: list[tuple[str, bool]] = []
        if rng.random() < self.p_time / 3:
            out.append((self.f["time"](rng), False))
        out.extend(self.clause())
        if rng.random() < self.p_time:
            out.append((self.f["time"](rng), False))
        if rng.random() < self.p_clause:
            out.append((self.f["conj"](rng), False))
            out.extend(self.clause())
        return out


def filler_pickers() -> dict[str, Picker]:
    # Mildly Zipf-like filler frequencies, the first word of each class most common.
    return {k: Picker(ws, _zipf_weights(len(ws), 0.8)) for k, ws in FILLER.items()}


def make_corpus(seed: int) -> list[str]:
    rng = random.Random(seed * 10 + 1)
    fillers = filler_pickers()
    lines: list[str] = []
    makers: dict[str, SentenceMaker] = {}
    for topic in TOPICS:
        pickers = {
            pos: Picker(ws, _zipf_weights(len(ws), 1.0)) for pos, ws in TOPIC_WORDS[topic].items()
        }

        def topic_word(pos: str, _p: dict[str, Picker] = pickers) -> str:
            return _p[pos](rng)

        makers[topic] = SentenceMaker(
            rng,
            topic_word,
            fillers,
            p_play=0.2 if topic in PLAY_TOPICS else 0.0,
            p_topic_verb=0.7 if topic in PLAY_TOPICS else 0.85,
            p_pron_subj=0.5,
            p_det=0.6,
            adj_counts=(0.35, 0.45, 0.2),
            p_compound=0.3,
            pp_counts=(0.45, 0.45, 0.1),
            p_pp_filler_obj=0.15,
            p_adv=0.35,
            p_time=0.3,
            p_clause=0.2,
        )
    lo_len, hi_len = CORPUS_LEN
    lo_frac, hi_frac = CORPUS_TOPIC_FRACTION
    order = [TOPICS[i % len(TOPICS)] for i in range(CORPUS_SENTENCES)]
    rng.shuffle(order)  # equally many sentences per topic, in random order
    for topic in order:
        while True:
            sent = makers[topic].sentence()
            n = len(sent)
            frac = sum(is_topic for _, is_topic in sent) / n
            if lo_len <= n <= hi_len and lo_frac <= frac <= hi_frac and not _repeats(sent):
                break
        lines.append(" ".join(w for w, _ in sent))
    return lines


def _repeats(sent: Sequence[tuple[str, bool]]) -> bool:
    """True if a token directly repeats the one before it ("football football")."""
    return any(a[0] == b[0] for a, b in itertools.pairwise(sent))


def _capitalize(word: str) -> str:
    return word[:1].upper() + word[1:]


def make_dataset1(seed: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Return (train, test) rows of (label, text)."""
    rng = random.Random(seed * 10 + 2)
    fillers = filler_pickers()
    typo_rate = 0.2
    name_rate = 0.12  # share of pronoun subjects replaced by a made-up name
    rare_rate = 0.2  # share of filler adverbs replaced by a rare word

    def build(topic: str, pools: list[dict[str, list[str]]], pool_weights: list[float]) -> str:
        # pools: one or two word pools; each topic word is drawn from one of them.
        used: list[int] = []

        def topic_word(pos: str) -> str:
            k = rng.choices(range(len(pools)), weights=pool_weights, k=1)[0]
            used.append(k)
            return rng.choice(pools[k][pos])

        maker = SentenceMaker(
            rng,
            topic_word,
            fillers,
            p_play=0.12 if topic in PLAY_TOPICS else 0.0,
            p_topic_verb=0.3,
            p_pron_subj=0.65,
            p_det=0.85,
            adj_counts=(0.75, 0.25),
            p_compound=0.0,
            pp_counts=(0.45, 0.45, 0.1),
            p_pp_filler_obj=0.6,
            p_adv=0.4,
            p_time=0.4,
            p_clause=0.0,
        )
        lo_len, hi_len = D1_LEN
        lo_k, hi_k = D1_TOPIC_WORDS
        while True:
            used.clear()
            sent = maker.sentence()
            n_topic = sum(is_topic for _, is_topic in sent)
            if not (lo_len <= len(sent) <= hi_len and lo_k <= n_topic <= hi_k):
                continue
            if _repeats(sent):
                continue
            if len(pools) == 2 and 1 not in used:
                continue  # a "mixed" text must contain at least one seen word
            break
        words: list[str] = []
        for i, (w, is_topic) in enumerate(sent):
            if is_topic and w in TYPOS and rng.random() < typo_rate:
                w = TYPOS[w]
            elif not is_topic and w in FILLER["pron"] and rng.random() < name_rate:
                w = rng.choice(MADE_UP_NAMES)
            elif not is_topic and w in FILLER["adv"] and rng.random() < rare_rate:
                w = rng.choice(RARE_WORDS)
            # The first word is always capitalized, a few topic words mid-sentence too.
            if i == 0 or (is_topic and rng.random() < CAPITALIZE_MID):
                w = _capitalize(w)
            words.append(w)
        return " ".join(words)

    train: list[tuple[str, str]] = []
    test: list[tuple[str, str]] = []
    for topic in TOPICS:
        seen, held = split_seen_held_out(topic)
        for _ in range(D1_PER_LABEL):
            train.append((topic, build(topic, [seen], [1.0])))
        for _ in range(D1_PER_LABEL):
            if rng.random() < TEST_ALL_HELD_OUT:
                test.append((topic, build(topic, [held], [1.0])))
            else:
                test.append((topic, build(topic, [held, seen], [0.5, 0.5])))
    rng.shuffle(train)
    rng.shuffle(test)
    return train, test


def make_vocab(rows: Sequence[tuple[str, str]]) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for _, text in rows:
        counts.update(text.split())
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def make_glove(seed: int) -> list[str]:
    rng = random.Random(seed * 10 + 3)
    per_topic: list[list[tuple[str, list[float]]]] = []
    for topic in TOPICS:
        centre = [rng.gauss(0.0, 1.0) for _ in range(GLOVE_DIM)]
        norm = math.sqrt(sum(x * x for x in centre))
        centre = [x / norm for x in centre]
        words = [w for pos, k in GLOVE_PER_TOPIC.items() for w in TOPIC_WORDS[topic][pos][:k]]
        rows = []
        for w in words:
            vec = [c + rng.gauss(0.0, GLOVE_NOISE) for c in centre]
            rows.append((w, vec))
        per_topic.append(rows)
    lines = []
    # Interleave topics so the file is not sorted by topic.
    for group in zip(*per_topic, strict=True):
        for w, vec in group:
            vals = []
            for x in vec:
                s = f"{x:.5f}"
                vals.append("0.00000" if s == "-0.00000" else s)
            lines.append(" ".join([w, *vals]))
    return lines


def _write(path: Path, lines: Sequence[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8", newline="\n")


def _stats_block(
    corpus: list[str],
    train: list[tuple[str, str]],
    test: list[tuple[str, str]],
    vocab: list[tuple[str, int]],
    glove: list[str],
    sizes: dict[str, int],
) -> dict[str, str]:
    """Numbers for README.md, computed from the generated contents."""
    topic_of = all_topic_words()
    corpus_tokens = [t for line in corpus for t in line.split()]
    corpus_counts = Counter(corpus_tokens)
    lens = [len(line.split()) for line in corpus]
    topic_tok = sum(1 for t in corpus_tokens if t in topic_of)
    play_tok = sum(corpus_counts[p] for p in PLAY_FORMS)
    min_topic = min(corpus_counts[w] for w in topic_of)
    min_word = min(topic_of, key=lambda w: (corpus_counts[w], w))
    max_word = max(topic_of, key=lambda w: (corpus_counts[w], w))

    absent = {w.lower() for w in (*MADE_UP_NAMES, *TYPOS.values(), *RARE_WORDS)}
    vocab_types = [t for t, _ in vocab]
    absent_types = [t for t in vocab_types if t.lower() not in corpus_counts]
    unexpected = sorted(t for t in absent_types if t.lower() not in absent)
    if unexpected:
        raise AssertionError(f"unexpected absent words: {unexpected}")
    cap_types = [t for t in vocab_types if t != t.lower() and t.lower() in corpus_counts]
    cap_topic_types = [t for t in cap_types if t.lower() in topic_of]

    def d1(rows: list[tuple[str, str]]) -> tuple[int, int, int, int]:
        toks = [t for _, text in rows for t in text.split()]
        lens = [len(text.split()) for _, text in rows]
        return len(toks), len(set(toks)), min(lens), max(lens)

    held_words: set[str] = set()
    seen_words: set[str] = set()
    for topic in TOPICS:
        seen, held = split_seen_held_out(topic)
        seen_words.update(w for ws in seen.values() for w in ws)
        held_words.update(w for ws in held.values() for w in ws)
    train_topic = [t.lower() for _, x in train for t in x.split() if t.lower() in topic_of]
    if any(t in held_words for t in train_topic):
        raise AssertionError("a held-out word leaked into train.tsv")
    test_topic = [t.lower() for _, x in test for t in x.split() if t.lower() in topic_of]
    test_held = sum(1 for t in test_topic if t in held_words)
    test_no_seen = sum(1 for _, x in test if not any(t.lower() in seen_words for t in x.split()))
    mid_topic = [t for _, x in [*train, *test] for t in x.split()[1:] if t.lower() in topic_of]
    mid_cap = sum(1 for t in mid_topic if t != t.lower())

    play_examples = []
    for topic in PLAY_TOPICS:
        lines = [
            line
            for line in corpus
            if set(line.split()) & set(PLAY_FORMS)
            and any(topic_of.get(t) == topic for t in line.split())
        ]
        play_examples.append('"' + min(lines, key=lambda x: (len(x), x)) + '"')
    first = Counter(x.split()[0] for _, x in [*train, *test])
    first_words = ", ".join(f'"{w}"' for w, _ in sorted(first.items(), key=lambda kv: -kv[1])[:3])

    tr_tok, tr_types, tr_min, tr_max = d1(train)
    te_tok, te_types, te_min, te_max = d1(test)
    return {
        "corpus_bytes": f"{sizes['corpus.txt']:,}",
        "corpus_lines": f"{len(corpus):,}",
        "corpus_example": corpus[0],
        "play_examples": ", ".join(play_examples),
        "train_example": f"{train[0][0]}<TAB>{train[0][1]}",
        "first_words": first_words,
        "corpus_per_topic": f"{CORPUS_SENTENCES // len(TOPICS):,}",
        "corpus_tokens": f"{len(corpus_tokens):,}",
        "corpus_types": f"{len(corpus_counts):,}",
        "corpus_len": f"{min(lens)}–{max(lens)} (mean {sum(lens) / len(lens):.1f})",
        "corpus_topic_share": f"{100 * topic_tok / len(corpus_tokens):.1f}%",
        "corpus_play": f"{play_tok:,}",
        "corpus_min_topic": f"{min_topic} ({min_word})",
        "corpus_max_topic": f"{corpus_counts[max_word]:,} ({max_word})",
        "n_topic_words": str(len(topic_of)),
        "n_filler": str(sum(len(ws) for ws in FILLER.values())),
        "train_bytes": f"{sizes['train.tsv']:,}",
        "train_lines": str(len(train)),
        "train_tokens": f"{tr_tok:,}",
        "train_types": str(tr_types),
        "train_len": f"{tr_min}–{tr_max}",
        "test_bytes": f"{sizes['test.tsv']:,}",
        "test_lines": str(len(test)),
        "test_tokens": f"{te_tok:,}",
        "test_types": str(te_types),
        "test_len": f"{te_min}–{te_max}",
        "per_label": ", ".join(
            f"{t} {sum(1 for lab, _ in train if lab == t)}/{sum(1 for lab, _ in test if lab == t)}"
            for t in TOPICS
        ),
        "test_held_share": f"{100 * test_held / len(test_topic):.1f}%",
        "test_no_seen": f"{test_no_seen} of {len(test)} ({100 * test_no_seen / len(test):.1f}%)",
        "vocab_bytes": f"{sizes['vocab.txt']:,}",
        "vocab_lines": str(len(vocab)),
        "vocab_tokens": f"{sum(c for _, c in vocab):,}",
        "absent_n": str(len(absent_types)),
        "absent_share": f"{100 * len(absent_types) / len(vocab):.1f}%",
        "absent_list": ", ".join(sorted(absent_types)),
        "cap_n": str(len(cap_types)),
        "cap_topic_n": str(len(cap_topic_types)),
        "cap_examples": ", ".join(sorted(cap_types)[:8]),
        "mid_cap": f"{mid_cap} of {len(mid_topic):,}, {100 * mid_cap / len(mid_topic):.1f}%",
        "glove_bytes": f"{sizes['vectors.glove.txt']:,}",
        "glove_lines": str(len(glove)),
    }


README_TEMPLATE = """\
# Sample data

Small synthetic data for trying `aligner` end to end in seconds. Everything in
this directory, this README included, is written by `make_samples.py` (Python
standard library only, seed `{seed}`); edit the generator, not the files.

```
python data_samples/make_samples.py            # regenerate in place
python data_samples/make_samples.py --seed 7   # another draw of the same design
```

Two runs with the same seed give byte-identical files. All numbers below are
computed from the generated files.

## Files

* `corpus.txt`: dataset 0, the unlabelled corpus for word2vec. {corpus_lines} lines,
  {corpus_tokens} tokens, {corpus_types} types, {corpus_bytes} bytes.
* `train.tsv`: dataset 1, training split, `label<TAB>text`. {train_lines} lines,
  {train_tokens} tokens, {train_types} types, {train_bytes} bytes.
* `test.tsv`: dataset 1, test split, `label<TAB>text`. {test_lines} lines,
  {test_tokens} tokens, {test_types} types, {test_bytes} bytes.
* `vocab.txt`: task vocabulary of the train and test texts, `token<TAB>count`.
  {vocab_lines} lines (one per type), {vocab_tokens} tokens counted, {vocab_bytes} bytes.
* `vectors.glove.txt`: tiny pretrained vectors in GloVe text format, 10
  dimensions. {glove_lines} lines, {glove_bytes} bytes.
* `make_samples.py`: the generator.

## corpus.txt (dataset 0)

UTF-8, one sentence per line, lowercase, tokens separated by single spaces, no
punctuation. Sentence length {corpus_len} tokens. Every sentence is about
one of four topics (music, film, sports, cooking; {corpus_per_topic} sentences
each, in random order) and is built from a loose chunk grammar: `[time] subject
[adverb] verb noun-phrase (preposition noun-phrase)* [time] [conjunction
clause]`; the first line is "{corpus_example}".

* {n_topic_words} topic words, 50 per topic (28 nouns, 12 verbs, 10 adjectives),
  no word in two topics. Inside each part of speech frequencies follow a Zipf
  law (weight 1/rank): the most frequent topic word occurs {corpus_max_topic}
  times, the rarest {corpus_min_topic} times.
* {n_filler} filler words (determiners, pronouns, prepositions, adverbs,
  conjunctions, auxiliaries, generic verbs such as "liked"), shared by all
  topics, with mildly Zipf-like frequencies.
* Topic words are {corpus_topic_share} of the tokens; each sentence has
  between 50% and 60% topic words.
* The ambiguous verb `play` / `played` / `plays` ({corpus_play} tokens) occurs in
  music, film and sports sentences, never in cooking: {play_examples}.

Skip-gram word2vec (dim 50, window 5, 5 epochs) on this file puts the nearest
neighbours of a topic word in the same topic.

## train.tsv and test.tsv (dataset 1)

`label<TAB>text`, no header, labels `music`, `film`, `sports`, `cooking`,
lines shuffled. Lines per label (train/test): {per_label}. Texts have
{train_len} (train) and {test_len} (test) whitespace-separated tokens, 1–3 topic
words each and filler for the rest (no punctuation, no tabs inside a text).
The first line of `train.tsv` is `{train_example}`.

* **Seen / held-out split.** Each topic's words are split in two halves by
  alternating frequency rank (ranks 1, 3, 5, … are *seen*, ranks 2, 4, 6, …
  are *held-out*). `train.tsv` uses only seen topic words. In `test.tsv`
  {test_held_share} of the topic-word tokens are held-out words, and
  {test_no_seen} test texts contain no seen topic word at all. A
  classifier with a randomly initialised embedding therefore has nothing to go
  on for most test texts, while vectors trained on `corpus.txt` place the held-out words next
  to the seen words of their topic: the effect of pretrained initialisation
  (and of freezing or slowing the embedding) is large and visible.
* **Case.** Unlike the corpus, the first word of each text is capitalized
  (most often {first_words}) and some topic words are capitalized mid-sentence
  ({mid_cap} of the mid-sentence topic-word tokens). The case-sensitive
  vocabulary thus holds {cap_n} capitalized types whose lowercase form is in
  the corpus ({cap_topic_n} of them topic words), e.g. {cap_examples}; they
  match the lowercase corpus only through a lowercase fallback.
* **Words absent from the corpus.** {absent_n} vocabulary types
  ({absent_share} of the vocabulary) never occur in `corpus.txt`, not even
  lowercased: made-up names, typos of topic words and rare words (these
  appear only in dataset 1): {absent_list}.

## vocab.txt

Built from the texts (not the labels) of `train.tsv` and `test.tsv` together,
whitespace tokenization, case kept. One `token<TAB>count` per line, ordered by
count descending, then token ascending (Python string order, so `The` comes
before `the` on a tie); no `<pad>` / `<unk>` entries, no blank or duplicate
lines, trailing newline.

## vectors.glove.txt

GloVe text format: no header, each line `token v1 ... v10`, single spaces,
values with 5 decimals. {glove_lines} lowercase corpus words, 15 per topic (the
8 most frequent nouns, 4 verbs and 3 adjectives of the topic), lines
interleaved across topics. Each vector is a random unit topic centroid plus
Gaussian noise (σ = 0.3 per component), so words of the same topic have a
higher cosine similarity than words of different topics.
"""


def generate(out_dir: Path, seed: int = DEFAULT_SEED) -> None:
    check_word_lists()
    corpus = make_corpus(seed)
    train, test = make_dataset1(seed)
    vocab = make_vocab([*train, *test])
    glove = make_glove(seed)

    out_dir.mkdir(parents=True, exist_ok=True)
    _write(out_dir / "corpus.txt", corpus)
    _write(out_dir / "train.tsv", [f"{lab}\t{text}" for lab, text in train])
    _write(out_dir / "test.tsv", [f"{lab}\t{text}" for lab, text in test])
    _write(out_dir / "vocab.txt", [f"{tok}\t{n}" for tok, n in vocab])
    _write(out_dir / "vectors.glove.txt", glove)

    names = ("corpus.txt", "train.tsv", "test.tsv", "vocab.txt", "vectors.glove.txt")
    sizes = {name: (out_dir / name).stat().st_size for name in names}
    stats = _stats_block(corpus, train, test, vocab, glove, sizes)
    readme = README_TEMPLATE.format(seed=seed, **stats)
    (out_dir / "README.md").write_text(readme, encoding="utf-8", newline="\n")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="where to write the files (default: beside this script)",
    )
    args = parser.parse_args(argv)
    generate(args.out_dir, args.seed)


if __name__ == "__main__":
    main()
