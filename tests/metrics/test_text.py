"""Corpus BLEU: hand-computed cases from the definition, sacrebleu's own numbers (word and
character tokenisation), and the character-level metric that scores one-word answers."""

import math
import random

import pytest

from nnscratch.metrics.text import BLEUStatistics, corpus_bleu, tokenize_13a


def test_identical_corpora_score_100():
    sentences = ["the cat sat on the mat .", "a dog barked at 3 p.m. yesterday !"]
    assert corpus_bleu(sentences, sentences) == pytest.approx(100.0)
    assert corpus_bleu(sentences, sentences) <= 100.0


def test_nothing_in_common_scores_0():
    assert corpus_bleu(["x y z w"], ["a b c d"]) == 0.0
    assert corpus_bleu([""], ["a b c d"]) == 0.0


def test_one_sentence_by_hand():
    # "a b c d" against "a b c e": p1 = 3/4, p2 = 2/3, p3 = 1/2, p4 = 0/1 smoothed to 1/(2·1)
    expected = 100 * math.exp((math.log(3 / 4) + math.log(2 / 3) + math.log(1 / 2)
                               + math.log(1 / 2)) / 4)
    assert corpus_bleu(["a b c d"], ["a b c e"]) == pytest.approx(expected, rel=1e-12)


def test_clipped_counts_and_smoothing_by_hand():
    # Papineni's example: "the" may match only as often as the reference holds it (twice)
    # p1 = 2/7; no bigram/trigram/4-gram matches: 1/(2·6), 1/(4·5), 1/(8·4); c = 7 > r = 6
    hypothesis, reference = "the the the the the the the", "the cat is on the mat"
    expected = 100 * math.exp((math.log(2 / 7) + math.log(1 / 12) + math.log(1 / 20)
                               + math.log(1 / 32)) / 4)
    assert corpus_bleu([hypothesis], [reference]) == pytest.approx(expected, rel=1e-12)


def test_brevity_penalty_by_hand():
    # every n-gram of the short hypothesis matches; c = 4 < r = 6: BP = exp(1 - 6/4)
    assert corpus_bleu(["a b c d"], ["a b c d e f"]) == pytest.approx(100 * math.exp(1 - 6 / 4))


def test_corpus_statistics_add_over_sentences():
    # pooled: p1 = (4+2)/(4+3) … not the mean of the sentence scores
    hypotheses, references = ["a b c d", "x y z"], ["a b c d", "x y q"]
    statistics = BLEUStatistics()
    statistics.update(hypotheses, references)
    assert statistics.matches == [4 + 2, 3 + 1, 2 + 0, 1 + 0]
    assert statistics.totals == [4 + 3, 3 + 2, 2 + 1, 1 + 0]
    expected = 100 * math.exp((math.log(6 / 7) + math.log(4 / 5) + math.log(2 / 3)
                               + math.log(1 / 1)) / 4)
    assert statistics.score() == pytest.approx(expected, rel=1e-12)
    batched = BLEUStatistics()
    batched.update(hypotheses[:1], references[:1])
    batched.update(hypotheses[1:], references[1:])
    assert batched.score() == statistics.score()


def test_closest_reference_length_prefers_the_shorter_on_a_tie():
    statistics = BLEUStatistics()
    statistics.add("a b c d", ["a b c", "a b c d e"])  # both 1 away: r = 3
    assert statistics.reference_length == 3
    statistics.add("a b", ["a b c d", "x"])  # |2-4| = 2 > |2-1| = 1: r = 1
    assert statistics.reference_length == 3 + 1


def test_13a_tokenisation():
    assert tokenize_13a("Hello, world!") == "Hello , world !"
    assert tokenize_13a("It costs 3.50 or 1,000.") == "It costs 3.50 or 1,000 ."
    assert tokenize_13a("don't (really)") == "don't ( really )"  # the apostrophe stays
    assert tokenize_13a("pages 12-34, e-mail") == "pages 12 - 34 , e-mail"
    assert tokenize_13a("fish &amp; chips &quot;") == 'fish & chips "'
    assert tokenize_13a("  spaced   out  ") == "spaced out"


def test_lowercase_and_errors():
    assert corpus_bleu(["The Cat"], ["the cat"], lowercase=True) == pytest.approx(
        corpus_bleu(["the cat"], ["the cat"]))
    with pytest.raises(ValueError, match="2 hypotheses but 1 references"):
        corpus_bleu(["a", "b"], ["a"])
    with pytest.raises(TypeError, match="strings"):
        corpus_bleu([["a"]], ["a"])


FIXED_CASES = [
    (["The cat sat on the mat."], [["The cat is on the mat."]]),
    (["It is a guide to action which ensures that the military always obeys the commands of "
      "the party.", "he read the book because he was interested in world history"],
     [["It is a guide to action that ensures that the military will forever heed Party "
       "commands.", "he was interested in world history because he read the book"]]),
    (["I don't know, 3.5 km & 12-3 ...", "Ça va?  Très bien!"],
     [["I do not know, 3.5 km &amp; 12-3.", "ça va ? très bien !"],
      ["I don't know 3,5 km", "Ca va, tres bien."]]),
    (["short"], [["a much longer reference sentence than the hypothesis"]]),
    (["a a a a a a", "b"], [["a a b", "b b b b"]]),
]


@pytest.mark.parametrize("hypotheses, streams", FIXED_CASES)
def test_equals_sacrebleu_on_fixed_cases(hypotheses, streams):
    import sacrebleu  # a dependency of nnscratch: these comparisons always run
    references = [list(group) for group in zip(*streams)]
    expected = sacrebleu.corpus_bleu(hypotheses, streams).score
    assert corpus_bleu(hypotheses, references) == pytest.approx(min(expected, 100.0), abs=1e-9)


def test_equals_sacrebleu_on_random_corpora():
    import sacrebleu  # a dependency of nnscratch: these comparisons always run
    words = "the cat sat on mat . , a dog 3.5 1,000 don't e-mail 12-3 & &amp; (x) ! ? é 가나".split()
    rng = random.Random(0)
    for _ in range(300):
        size, n_refs = rng.randint(1, 5), rng.randint(1, 3)
        hypotheses = [" ".join(rng.choices(words, k=rng.randint(0, 12))) for _ in range(size)]
        references = [[" ".join(rng.choices(words, k=rng.randint(1, 12))) for _ in range(n_refs)]
                      for _ in range(size)]
        streams = [[refs[j] for refs in references] for j in range(n_refs)]
        expected = sacrebleu.corpus_bleu(hypotheses, streams).score
        assert corpus_bleu(hypotheses, references) == pytest.approx(min(expected, 100.0), abs=1e-9)
        tokenizer = sacrebleu.tokenizers.tokenizer_13a.Tokenizer13a()
        assert all(tokenize_13a(h) == tokenizer(h) for h in hypotheses)


def test_registered_metrics_read_hypotheses_and_references():
    from types import SimpleNamespace

    from nnscratch.train.metrics import make_metrics

    metrics = make_metrics(["bleu", "exact_match"])
    batches = [(["a b c d", "x y"], ["a b c d", "x z"]), (["p q r s"], [["p q r s", "t"]])]
    for hypotheses, references in batches:
        for metric in metrics.values():
            metric.update(SimpleNamespace(hypotheses=hypotheses),
                          SimpleNamespace(references=references), None, 0)
    assert metrics["exact_match"].compute() == pytest.approx(2 / 3)
    assert metrics["bleu"].compute() == pytest.approx(
        corpus_bleu(["a b c d", "x y", "p q r s"], ["a b c d", "x z", ["p q r s", "t"]]))


def test_character_bleu_by_hand():
    # "abcd" against "abce" as characters is "a b c d" against "a b c e" as words
    expected = 100 * math.exp((math.log(3 / 4) + math.log(2 / 3) + math.log(1 / 2)
                               + math.log(1 / 2)) / 4)
    assert corpus_bleu(["abcd"], ["abce"], tokenize="char") == pytest.approx(expected, rel=1e-12)
    assert corpus_bleu(["ab cd"], ["abce"], tokenize="char") == pytest.approx(expected, rel=1e-12)


def test_one_word_answers_score_0_as_words_but_high_as_characters():
    # dates written without spaces: one token each, so word-level BLEU-4 has no 4-grams
    references = [f"{2000 + k}{k % 12 + 1:02d}{k % 28 + 1:02d}" for k in range(50)]
    hypotheses = list(references)
    hypotheses[0] = hypotheses[0][:-1] + "9"  # 49 of 50 exactly right, one digit wrong
    assert corpus_bleu(hypotheses, references, tokenize="13a") < 1.0
    assert corpus_bleu(hypotheses, references, tokenize="char") > 98.0


@pytest.mark.parametrize("tokenize", ["char", "13a", "none"])
def test_equals_sacrebleu_for_each_tokenisation(tokenize):
    import sacrebleu

    rng = random.Random(1)
    alphabet = "0123456789-+ 년월일 abc."
    for _ in range(100):
        size = rng.randint(1, 6)
        hypotheses = ["".join(rng.choices(alphabet, k=rng.randint(0, 14))) for _ in range(size)]
        references = ["".join(rng.choices(alphabet, k=rng.randint(1, 14))) for _ in range(size)]
        expected = sacrebleu.corpus_bleu(hypotheses, [references], tokenize=tokenize).score
        assert corpus_bleu(hypotheses, references, tokenize=tokenize) == pytest.approx(
            min(expected, 100.0), abs=1e-9)


def test_character_metric_is_registered_and_named_as_what_it_is():
    from types import SimpleNamespace

    from nnscratch.train.metrics import HIGHER_IS_BETTER, make_metrics

    metric = make_metrics(["bleu_char"])["bleu_char"]
    metric.update(SimpleNamespace(hypotheses=["2021-09-03", "1999-12-31"]),
                  SimpleNamespace(references=["2021-09-03", "1999-12-30"]), None, 0)
    assert metric.compute() == pytest.approx(corpus_bleu(["2021-09-03", "1999-12-31"],
                                                         ["2021-09-03", "1999-12-30"],
                                                         tokenize="char"))
    assert "bleu_char" in HIGHER_IS_BETTER
    with pytest.raises(ValueError, match="tokenize"):
        corpus_bleu(["a"], ["a"], tokenize="spaces")
