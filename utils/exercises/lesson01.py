"""Checks for lesson 01 (NLP frameworks)."""

from utils.checks import Wrong, exercise, expect_type, quiz

SENTENCE = "한국어 자연어 처리는 재미있다."


@exercise("01.1", "split a Korean sentence into morphemes",
           section="2. The landscape",
           more=("`kiwi.tokenize(sentence)` returns Token objects; each has a `.form` (the text "
                 "of the morpheme) and a `.tag`. Keep the forms, in order."))
def _check_01_1(answer, sentence: str = SENTENCE):
    from kiwipiepy import Kiwi

    expect_type(answer, list, "the list of morpheme forms")
    if answer and not all(isinstance(m, str) for m in answer):
        raise Wrong(f"the list holds {type(answer[0]).__name__} objects, not strings.",
                    "kiwi.tokenize returns Token objects; keep only each token's `.form`.")
    expected = [token.form for token in Kiwi().tokenize(sentence)]
    if answer == sentence.split():
        raise Wrong("that splits on spaces, which keeps particles and endings attached.",
                    "use kiwi.tokenize(sentence), which separates e.g. 처리 from the particle 는.")
    if answer != expected:
        raise Wrong(f"got {len(answer)} morphemes {answer!r:.80}, expected {len(expected)}.",
                    "tokenize exactly the given sentence with kiwi.tokenize and keep `.form`.")
    return f"{len(expected)} morphemes: {expected}"


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
