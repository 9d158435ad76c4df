"""Checks for lesson 04 (tokenizers)."""

from utils.checks import Wrong, as_int, exercise, expect_function, expect_type, other_input, quiz

QUESTION = "Where is the course?"
CONTEXT = "The course runs offline on your own computer."
TEXTS_EN = ["Hi!", "Tokenizers turn text into numbers that models understand.",
            "Padding fills rows."]
KOREAN_SENTENCE = "한국어 자연어 처리는 재미있다."
SMALL_VOCAB = 2000
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _english_tokenizer():
    from transformers import AutoTokenizer

    from utils.checkpoints import checkpoint

    return AutoTokenizer.from_pretrained(checkpoint("encoder", verbose=False))


def _framework_of(value) -> str:
    return type(value).__module__.split(".")[0]


@exercise("04.1", "count the tokens of the second segment",
           section="5. What `tokenizer(...)` returns",
           more=("Call `auto(question, context)` with the two texts as two arguments; "
                 "`token_type_ids` is 0 for the first segment and 1 for the second, so count the "
                 "1s."))
def _check_04_1(answer, question: str = QUESTION, context: str = CONTEXT):
    answer = as_int(answer, "the number of tokens in the second segment")
    tokenizer = _english_tokenizer()
    encoding = tokenizer(question, context)
    types = encoding["token_type_ids"]
    second, first = sum(types), len(types) - sum(types)
    if answer == second - 1:
        raise Wrong(f"{answer} is one short: the second segment ends with its own [SEP].",
                    "count every position whose token_type_id is 1, the final [SEP] included.")
    if answer == len(tokenizer.tokenize(context)):
        raise Wrong(f"{answer} counts the context's word pieces only.",
                    "the second segment also holds the [SEP] that closes it: count the 1s in "
                    "token_type_ids.")
    if answer == first:
        raise Wrong(f"{answer} is the length of the first segment ([CLS] question [SEP]).",
                    "the second segment is where token_type_ids is 1.")
    if answer == len(types):
        raise Wrong(f"{answer} is the length of the whole pair.",
                    "count only the positions whose token_type_id is 1.")
    if answer != second:
        raise Wrong(f"{answer} is not the number of tokens with token_type_id 1.",
                    "call auto(question, context) with two arguments and sum its token_type_ids.")
    return f"{second} tokens: the context's {second - 1} pieces and the closing [SEP]."


# 04.2 calls the learner's function on these (texts, length) cases: the notebook's sentences,
# of which one is longer than 10 tokens, and sentences that are all shorter than the length
# asked for, which `padding=True` does not fill. The grader's hidden tests pass other cases.
SHORT_TEXTS = ("Hi!", "Padding fills rows.", "Short and sweet.")
FIXED_CASES = ((tuple(TEXTS_EN), 10), (SHORT_TEXTS, 12))


@exercise("04.2", "a fixed-size NumPy batch",
           section="6. Batches: padding and truncation",
           more=("Exactly `length` ids in every row needs `padding=\"max_length\"` **and** "
                 "`truncation=True` with `max_length=length`; `padding=True` pads only to the "
                 "longest row. `return_tensors=\"np\"` gives NumPy."))
def _check_04_2(answer, cases=FIXED_CASES):
    import numpy as np

    expect_function(answer, "define `def fixed_length_ids(texts, length): ...` and pass the "
                            "function itself, without calling it: "
                            "check(\"04.2\", fixed_length_ids).")
    hidden = cases is not FIXED_CASES
    tokenizer = _english_tokenizer()
    for texts, length in cases:
        what = (f"{len(texts)} other sentences with length={length}" if hidden
                else f"{'texts_en' if list(texts) == TEXTS_EN else 'three short sentences'} "
                     f"with length={length}")
        with other_input(what if hidden else None):
            result = answer(list(texts), length)
            framework = _framework_of(result)
            prefix = "" if hidden else f"for {what}: "
            if framework in {"torch", "tensorflow"}:
                raise Wrong(f"{prefix}got a {framework} tensor ({type(result).__name__}), not a "
                            "NumPy array.", "use return_tensors=\"np\".")
            if isinstance(result, dict) or hasattr(result, "keys"):
                raise Wrong(f"{prefix}got the whole {type(result).__name__}, not its input_ids.",
                            "return [\"input_ids\"] of what the tokenizer returns.")
            expect_type(result, np.ndarray, "the input_ids array")
            expected = tokenizer(list(texts), padding="max_length", truncation=True,
                                 max_length=length, return_tensors="np")["input_ids"]
            if result.shape != expected.shape:
                longest = max(len(ids) for ids in tokenizer(list(texts))["input_ids"])
                hint = ("pad every row to the same fixed length with padding=\"max_length\" and "
                        "max_length=length, and cut longer rows with truncation=True.")
                if result.ndim == 2 and result.shape[1] == min(longest, length) != length:
                    hint = (f"your rows are as long as the longest sentence ({longest} ids); "
                            "padding=True pads only to the longest row, so short sentences "
                            f"never reach {length}: " + hint)
                raise Wrong(f"{prefix}the array has shape {result.shape}, not {expected.shape}.",
                            hint)
            if not np.array_equal(result, expected):
                raise Wrong(f"{prefix}the shape is right but the ids are not.",
                            "encode the texts you are given with the English tokenizer `auto`, "
                            "in their order.")
    return ("Each row ends with [SEP] (or [SEP] then [PAD]s): truncation keeps the special "
            "tokens, and padding=\"max_length\" fills even a batch of short sentences.")


def _train_wordpiece(texts, vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS,
                                        show_progress=False)
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer


@exercise("04.3", "train a smaller Korean tokenizer",
           section="9. Train a Korean WordPiece tokenizer yourself",
           more=("`train_wordpiece(lines, vocab_size=2000)` returns a `tokenizers.Tokenizer`; "
                 "its `encode(text, add_special_tokens=False).tokens` is the list of strings."))
def _check_04_3(answer, sentence: str = KOREAN_SENTENCE, vocab_size: int = SMALL_VOCAB):
    from utils.data import korean_lines

    expect_type(answer, list, "the list of tokens")
    if not all(isinstance(token, str) for token in answer):
        raise Wrong(f"the list holds {type(answer[0]).__name__} values, not token strings.",
                    "take the tokens (strings), not the ids: `.tokens` of an Encoding, or "
                    "`tokenize(...)` of a transformers tokenizer.")
    if "[UNK]" in answer:
        raise Wrong(f"your tokens contain [UNK]: {answer}.",
                    "the normalizer lower-cased and stripped accents, which breaks Hangul into "
                    "jamo. Use BertNormalizer(lowercase=False, strip_accents=False), and pass "
                    "do_lower_case=False, strip_accents=False if you wrap it in BertTokenizerFast.")
    if answer and (answer[0] == "[CLS]" or answer[-1] == "[SEP]"):
        raise Wrong("your list includes [CLS] / [SEP].",
                    "give the tokens of the sentence only, e.g. tokenizer.tokenize(sentence).")
    lines = korean_lines()
    # Training breaks ties between equally frequent pieces in an arbitrary order; for this
    # sentence and size the result has been stable, but accept any of a few trainings.
    for _ in range(3):
        expected = _train_wordpiece(lines, vocab_size).encode(sentence).tokens
        if answer == expected:
            return (f"{len(expected)} tokens with {vocab_size:,} entries; the 4,000-token "
                    "tokenizer needs "
                    f"{len(_train_wordpiece(lines, 4000).encode(sentence).tokens)}.")
    if "".join(t.removeprefix("##") for t in answer) != sentence.replace(" ", ""):
        raise Wrong(f"these tokens {answer!r:.100} do not spell the sentence.",
                    f"tokenize exactly {sentence!r}.")
    bigger = _train_wordpiece(lines, 4000).encode(sentence).tokens
    if answer == bigger:
        raise Wrong("those are the tokens of a 4,000-token vocabulary.",
                    f"train a new tokenizer with vocab_size={vocab_size}.")
    raise Wrong(f"got {len(answer)} tokens {answer!r:.100}, but a {vocab_size:,}-token WordPiece "
                f"makes {len(expected)}.",
                f"train on `lines` (korean_lines()) with vocab_size={vocab_size}, the BERT "
                "pre-tokenizer and the special tokens [PAD] [UNK] [CLS] [SEP] [MASK].")


quiz("04.4", "a mismatched tokenizer", correct="a",
     section="2. The tokenizer must match the checkpoint",
     more=("Look at the cell that printed what the English model reads for the Korean ids: did "
           "anything fail?"),
     explanations={
    "a": "Yes: every id is a valid row of the 30,522-row English embedding table, so nothing "
         "fails; the model just reads whatever those rows of the English vocabulary hold (mostly "
         "[unusedN] placeholders), nothing to do with the Korean words.",
    "b": "No: nothing links a tokenizer to a model. Ids are just numbers, and transformers "
         "cannot tell which vocabulary made them.",
    "c": "No: the two vocabularies number their tokens independently, and nothing translates "
         "ids from one to the other.",
    "d": "No: the Korean tokenizer knows these words, so it produces real Korean ids; the "
         "problem is what those ids mean to the English model.",
})
