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
     more=("Where was the sentiment checkpoint made, and from what? Look at the manifest the "
           "lesson printed: its source says it was built here, from two other assets."),
     explanations={
    "a": "No: COURSE_ONLINE=1 asks the Hugging Face Hub for another checkpoint, and there is no "
         "network on the train. Online, it would also load a different model, so the numbers "
         "would no longer match the lessons.",
    "b": "No: transformers ships code, not weights, and reinstalling it needs the network too. "
         "The course's checkpoints are built on your machine.",
    "c": "Yes: the sentiment checkpoint is built on your laptop from the encoder and the "
         "polarity sentences, which are already there; the build needs no network, only a few "
         "minutes of CPU.",
    "d": "No: the checksum is how the course noticed that the file is damaged. Without it, the "
         "lesson would load broken weights, or stop with a less helpful error.",
})
