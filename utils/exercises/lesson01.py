"""Checks for lesson 01 (NLP frameworks)."""

from utils.checks import (
    Wrong,
    call_answer,
    exercise,
    expect_function,
    expect_type,
    other_input,
    quiz,
)

SENTENCE = "서울의 겨울은 춥지만 시장 음식은 맛있어요."
# The grader's sentence: a verb whose stem is irregular (걷다 → 걸었다, tagged VV-I).
OTHER_SENTENCE = "어제 친구와 함께 영화를 보고 집까지 걸었다."
CONTENT = ("NN", "VV", "VA")  # nouns; verb and adjective stems (irregular ones end in -I)


def _tokens(sentence: str):
    from kiwipiepy import Kiwi

    return Kiwi().tokenize(sentence)


@exercise("01.1", "the content words of a Korean sentence",
           section="2. The landscape",
           more=("`kiwi.tokenize(sentence)` returns Token objects with `.form` and `.tag`. Keep "
                 "the forms whose tag starts with NN, VV or VA (`token.tag.startswith((\"NN\", "
                 "\"VV\", \"VA\"))`), in the order of the sentence."))
def _check_01_1(answer, sentence: str = SENTENCE):
    expect_function(answer, "define `def content_words(sentence): ...` that returns a list of "
                            "strings, and pass the function itself (no parentheses).")
    tokens = _tokens(sentence)
    expected = [t.form for t in tokens if t.tag.startswith(CONTENT)]
    other = None if sentence == SENTENCE else f"another sentence ({sentence})"
    with other_input(other):
        got = call_answer(answer, (sentence,), "content_words(sentence)",
                          "tokenize with kiwi.tokenize(sentence) and keep each token's `.form`.")
        if not isinstance(got, list):
            raise Wrong(f"content_words returned {type(got).__name__}, not a list.",
                        "return a list of the forms, in the order of the sentence.")
        if got and not all(isinstance(m, str) for m in got):
            raise Wrong(f"the list holds {type(got[0]).__name__} objects, not strings.",
                        "kiwi.tokenize returns Token objects; keep only each token's `.form`.")
        if got == expected:
            dropped = [t.form for t in tokens if not t.tag.startswith(CONTENT)]
            return (f"{len(expected)} content words {expected}; the other {len(dropped)} "
                    f"morphemes dropped: {dropped}.")
        if got == sentence.split():
            raise Wrong("that splits on spaces, which keeps particles and endings attached.",
                        "use kiwi.tokenize(sentence): it separates 겨울 from the particle 은.")
        if got == [t.form for t in tokens]:
            raise Wrong("that keeps every morpheme, particles and endings included.",
                        "keep only the tokens whose tag starts with NN, VV or VA.")
        exact = [t.form for t in tokens if t.tag in ("NNG", "NNP", "NNB", "VV", "VA")]
        if got == exact and exact != expected:
            missed = [t for t in tokens if t.tag.startswith(CONTENT) and "-" in t.tag]
            raise Wrong(f"{', '.join(f'{t.form} ({t.tag})' for t in missed)} is missing: "
                        "irregular stems carry a suffix on their tag.",
                        "compare the start of the tag: token.tag.startswith((\"NN\", \"VV\", "
                        "\"VA\")).")
        if got == [t.form for t in tokens if t.tag.startswith("NN")]:
            raise Wrong("those are the nouns only; the verb and adjective stems are missing.",
                        "keep the tags that start with VV or VA too.")
        if sorted(got) == sorted(expected):
            raise Wrong("the right words in another order.",
                        "keep the order of the sentence.")
        raise Wrong(f"got {got!r:.100}, expected {len(expected)} content words.",
                    "keep the forms of the tokens whose tag starts with NN, VV or VA, in order.")


@exercise("01.2", "name the class an Auto class built",
           section="5. One interface across tasks",
           more=("Every Python object knows its class: `type(obj)` is the class, and a class's "
                 "`__name__` is its name as a string."))
def _check_01_2(answer):
    from transformers import AutoConfig

    from utils.checkpoints import checkpoint

    expect_type(answer, str, "the class name")
    if answer.startswith("AutoModel"):
        raise Wrong(f"{answer} is the factory you called, not the class it built.",
                    "look at type(classifier).__name__.")
    config = AutoConfig.from_pretrained(checkpoint("sentiment", verbose=False))
    expected = config.architectures[0]  # BertForSequenceClassification offline
    if answer != expected:
        raise Wrong(f"{answer!r} is not the class of the sentiment model.",
                    "the checkpoint's config says which architecture to build: "
                    "type(classifier).__name__.")
    return f"config.json's model_type {config.model_type!r} picked the {expected} class."


quiz("01.3", "transformers 5 and TensorFlow", correct="a",
     section="6. Where transformers is going, and what it means for TensorFlow",
     more=("Read what transformers 5 removed, in the section's table: the TF classes and "
           "`return_tensors=\"tf\"`."),
     explanations={
    "a": "Yes: the TF classes and return_tensors='tf' were removed in 5.0; TensorFlow code stays "
         "on 4.x (as this course does) or moves to PyTorch.",
    "b": "No: transformers 5 has no TensorFlow classes at all, so there is nothing to convert to.",
    "c": "No: 5.0 removed them (section 6): TFAutoModel does not exist in transformers 5, so "
         "importing it fails; there is no warning stage to lean on.",
    "d": "No: transformers 5 does not use Keras at all.",
})
