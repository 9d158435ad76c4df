"""Checks for lesson 00 (setup)."""

from utils.checks import Wrong, as_int, exercise, expect_equal, quiz


@exercise("00.1", "count the tokens of a sentence",
           section="3. Where the checkpoints come from",
           more=("`tokenizer(text)` returns a dict-like encoding; what the model receives is its "
                 "`input_ids` list, and `len(...)` of that list is the count."))
def _check_00_1(answer, text: str = "Hello, Korea! 안녕하세요"):
    from transformers import AutoTokenizer

    from utils.checkpoints import checkpoint

    answer = as_int(answer, "the number of tokens")
    tokenizer = AutoTokenizer.from_pretrained(checkpoint("encoder", verbose=False))
    with_special = len(tokenizer(text)["input_ids"])
    without = len(tokenizer.tokenize(text))
    if answer == without:
        raise Wrong(f"{answer} counts the word pieces but not the special tokens.",
                    "`tokenizer(text)['input_ids']` also holds [CLS] at the start and [SEP] at "
                    "the end; count those too.")
    expect_equal(answer, with_special, "your count",
                 "call the tokenizer on the text and take the length of its `input_ids`.")
    return f"{with_special} ids, of which 2 are [CLS] and [SEP]."


quiz("00.2", "where the offline checkpoints come from", correct="c",
     section="3. Where the checkpoints come from",
     more=("Look at the manifest the lesson printed: each asset names the package it came from "
           "and how it was built."),
     explanations={
    "a": "No: nothing is downloaded from the Hub while the course runs offline.",
    "b": "No: the weights are not random; they are all-MiniLM-L6-v2's trained weights.",
    "c": "Yes: a package from the package index carries real weights and text, and "
         "`python -m utils.assets build` turns them into local checkpoints.",
    "d": "No: the TensorFlow weights are converted once, when the assets are built, and saved "
         "as tf_model.h5, so TensorFlow loads them without PyTorch.",
})
