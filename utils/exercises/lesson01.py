"""Checks for lesson 01 (NLP frameworks)."""

from utils.checks import (
    Wrong,
    call_answer,
    exercise,
    expect_function,
    other_input,
    quiz,
    type_name,
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


# The Auto classes the notebook's check asks about, for the encoder's config.
AUTO_CLASSES = ("AutoModel", "AutoModelForSequenceClassification", "AutoModelForMaskedLM")
# The grader's cases: another model type, and a task whose class breaks the <Model>For<Task>
# naming pattern (GPT-2's causal language model is GPT2LMHeadModel).
OTHER_CASES = (("distilbert", "AutoModelForSequenceClassification"),
               ("gpt2", "AutoModelForCausalLM"))
# Small configs of those model types: building them takes milliseconds.
SMALL = {"distilbert": dict(n_layers=1, dim=32, hidden_dim=64, n_heads=2, vocab_size=100),
         "gpt2": dict(n_layer=1, n_embd=32, n_head=2, n_positions=64, vocab_size=100)}


def _cases(cases):
    import transformers

    from utils.checkpoints import checkpoint

    if cases is None:
        config = transformers.AutoConfig.from_pretrained(checkpoint("encoder", verbose=False))
        return [(config, getattr(transformers, name)) for name in AUTO_CLASSES]
    return [(transformers.AutoConfig.for_model(model_type, **SMALL[model_type]),
             getattr(transformers, name)) for model_type, name in cases]


def _pattern_name(config, auto_class) -> str:
    """The name a <Model><Task> rule guesses from the config's and the Auto class's names."""
    model = type(config).__name__.removesuffix("Config")
    task = auto_class.__name__.removeprefix("AutoModel")
    return model + (task or "Model")


@exercise("01.2", "the class an Auto class builds",
           section="5. One interface across tasks",
           more=("The Auto class looks the config up in its table of classes: "
                 "`auto_class.from_config(config)` builds that class (random weights, nothing "
                 "loaded), and `type(model).__name__` is its name."))
def _check_01_2(answer, cases=None):
    expect_function(answer, "define `def class_for(config, auto_class): ...` that returns a "
                            "string, and pass the function itself (no parentheses).")
    other = None if cases is None else (
        "other configs (" + ", ".join(f"{m} with {a}" for m, a in cases) + ")")
    configs = _cases(cases)
    results = []
    with other_input(other):
        for config, auto_class in configs:
            expected = auto_class._model_mapping[type(config)].__name__
            call = f"class_for(<{type(config).__name__}>, {auto_class.__name__})"
            got = call_answer(answer, (config, auto_class), call,
                              "build the model from the config alone: "
                              "auto_class.from_config(config).")
            if isinstance(got, type):
                raise Wrong(f"{call} returned the class {got.__name__} itself, not its name.",
                            "return the class's name, a string: `.__name__`.")
            if not isinstance(got, str):
                raise Wrong(f"{call} returned a {type_name(got)}, not the class's name.",
                            "return type(model).__name__, a string.")
            if got == expected:
                results.append(f"{auto_class.__name__} → {expected}")
                continue
            saved = (config.architectures or [None])[0]
            if got == saved:
                raise Wrong(f"{call} returned {got!r}, the config's `architectures`: the class "
                            f"that saved the checkpoint. {auto_class.__name__} builds "
                            f"{expected} from it.",
                            "ask the Auto class, not the config: "
                            "type(auto_class.from_config(config)).__name__.")
            if got == auto_class.__name__:
                raise Wrong(f"{call} returned {got!r}: the factory, not the class it builds.",
                            "build a model with it and take the model's class name.")
            if got == _pattern_name(config, auto_class):
                raise Wrong(f"{call} returned {got!r}, which the naming pattern suggests, but "
                            f"{auto_class.__name__} builds {expected}: the Auto class's table "
                            "decides, and not every class follows the pattern.",
                            "ask the Auto class: type(auto_class.from_config(config)).__name__.")
            if got.startswith("Bert") and not expected.startswith("Bert"):
                raise Wrong(f"{call} returned the BERT class {got!r}, but this config's "
                            f"model_type is {config.model_type!r}.",
                            "let the config decide: auto_class.from_config(config).")
            raise Wrong(f"{call} returned {got!r:.80}, but {auto_class.__name__} builds "
                        f"{expected}.",
                        "type(auto_class.from_config(config)).__name__.")
    if cases is not None:
        return "; ".join(results) + "."
    config = configs[0][0]
    return (f"{'; '.join(results)}, all from one config whose `architectures` says "
            f"{config.architectures}: model_type {config.model_type!r} and the Auto class "
            "decide which class is built.")


quiz("01.3", "transformers 5 and TensorFlow", correct="a",
     section="6. Where transformers is going, and what it means for TensorFlow",
     more=("Read what transformers 5 removed, in the section's table: the TF classes and "
           "`return_tensors=\"tf\"`."),
     explanations={
    "a": "Yes: the TF classes and return_tensors='tf' were removed in 5.0; TensorFlow code stays "
         "on 4.x (as this course does) or moves to PyTorch.",
    "b": "No: tf-keras is Keras 2 for TensorFlow, which transformers 4.x needs beside Keras 3; "
         "transformers 5 has no TensorFlow code left for any package to bring back.",
    "c": "No: 5.0 removed them (section 6): TFAutoModel does not exist in transformers 5, so "
         "importing it fails; there is no warning stage to lean on.",
    "d": "No: transformers 5 does not use Keras at all.",
})
