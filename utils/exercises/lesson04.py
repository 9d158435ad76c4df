"""Checks for lesson 04 (tokenizers)."""

from utils.checks import (
    Wrong,
    as_int,
    call_answer,
    exercise,
    expect_function,
    expect_type,
    other_input,
    quiz,
)

QUESTION = "Where is the course?"
CONTEXT = "The course runs offline on your own computer."
TEXTS_EN = ["Hi!", "Tokenizers turn text into numbers that models understand.",
            "Padding fills rows."]
SMALL_VOCAB = 2000
# Korean sentences without punctuation: decode() must give each back exactly.
BPE_SENTENCES = ("대한민국은 민주공화국이다", "모든 국민은 인간으로서의 존엄과 가치를 가진다")
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


def _tokens_per_line(tokenizer, texts) -> float:
    encodings = tokenizer.encode_batch(list(texts), add_special_tokens=False)
    return sum(len(e.tokens) for e in encodings) / len(texts)


@exercise("04.3", "BPE that gives the spaces back",
           section="Beside WordPiece: BPE and Unigram",
           more=("Start from the lesson's BPE recipe; the pieces must say where a word goes on. "
                 "One way: `continuing_subword_prefix=\"##\"` on both `models.BPE(...)` and "
                 "`trainers.BpeTrainer(...)`, and `decoders.WordPiece()` as the decoder, which "
                 "glues `##` pieces to the piece before them."))
def _check_04_3(answer, texts=None, vocab_size: int = SMALL_VOCAB,
                sentences=BPE_SENTENCES):
    import unicodedata

    import tokenizers

    from utils.data import korean_lines

    notebook_input = texts is None and sentences == BPE_SENTENCES
    texts = korean_lines() if texts is None else list(texts)
    other = None if notebook_input else (
        f"other texts ({len(texts):,} lines, vocab_size={vocab_size:,}, sentences "
        f"{', '.join(repr(s) for s in sentences)})")
    expect_function(answer, "define `def train_bpe(texts, vocab_size): ...` that returns the "
                            "trained tokenizer, and pass the function itself (no parentheses).")
    with other_input(other):
        trained = call_answer(answer, (list(texts), vocab_size),
                              f"train_bpe(lines, {vocab_size})",
                              "build the tokenizer inside the function from its two arguments, as "
                              "train_wordpiece does, and train it on `texts`.")
        backend = getattr(trained, "backend_tokenizer", trained)
        if not isinstance(backend, tokenizers.Tokenizer):
            raise Wrong(f"train_bpe returned {type(trained).__name__}, not a tokenizer.",
                        "end the function with `return tokenizer` (the trained "
                        "tokenizers.Tokenizer).")
        kind = type(backend.model).__name__
        if kind != "BPE":
            raise Wrong(f"that is a {kind} tokenizer, not BPE.",
                        "use models.BPE(unk_token=\"[UNK]\") with trainers.BpeTrainer(...).")
        size = backend.get_vocab_size()
        if not 0.9 * vocab_size <= size <= vocab_size:
            raise Wrong(f"the tokenizer has {size:,} entries for vocab_size={vocab_size:,}.",
                        "pass the function's vocab_size to the trainer and train on the "
                        "function's texts (not on `lines`).")
        ids = [backend.token_to_id(token) for token in SPECIAL_TOKENS]
        if ids != list(range(len(SPECIAL_TOKENS))):
            raise Wrong(f"the special tokens have ids {ids}, not 0 to 4.",
                        "give the trainer special_tokens=SPECIAL_TOKENS: they take the first ids.")
        for sentence in sentences:
            encoding = backend.encode(sentence, add_special_tokens=False)
            if "[UNK]" in encoding.tokens:
                raise Wrong(f"{sentence!r} becomes {encoding.tokens}, with [UNK].",
                            "keep the Hangul syllables whole: BertNormalizer(lowercase=False, "
                            "strip_accents=False).")
            decoded = backend.decode(encoding.ids)
            if decoded == sentence:
                continue
            if decoded.replace(" ", "") == sentence.replace(" ", ""):
                problem = ("the spaces are gone" if " " not in decoded
                           else "the spaces are in the wrong places")
                raise Wrong(f"{sentence!r} is cut into {encoding.tokens}, and decode gives "
                            f"{decoded!r}: {problem}.",
                            "BPE pieces do not say where a word ends or goes on: give the model "
                            "and the trainer a mark (e.g. continuing_subword_prefix=\"##\"), "
                            "and the tokenizer a decoder that reads the same mark.")
            if unicodedata.normalize("NFC", decoded) == sentence:
                raise Wrong(f"decode gives {sentence!r} as separate jamo (the normalizer "
                            "decomposed the Hangul syllables).",
                            "use BertNormalizer(lowercase=False, strip_accents=False), as "
                            "train_wordpiece does.")
            marks = [mark for mark in ("##", "</w>", "▁") if mark in decoded]
            if marks:
                raise Wrong(f"decode gives {decoded!r}: the decoder does not read the "
                            f"{marks[0]} mark.",
                            "set tokenizer.decoder to the decoder of your mark: "
                            "decoders.WordPiece() for a ## prefix, "
                            "decoders.BPEDecoder(suffix=...) for an end-of-word suffix, "
                            "decoders.Metaspace() for ▁.")
            raise Wrong(f"decode gives {decoded!r} for {sentence!r}.",
                        "decode(encode(sentence).ids) must give the sentence back; check the "
                        "normalizer and the decoder.")
    per_line = _tokens_per_line(backend, texts)
    wordpiece = _tokens_per_line(_train_wordpiece(texts, vocab_size), texts)
    pieces = backend.encode(sentences[0], add_special_tokens=False).tokens
    return (f"{size:,} entries, {per_line:.1f} tokens per line (WordPiece of the same size: "
            f"{wordpiece:.1f}); {' '.join(pieces)} decodes back to {sentences[0]!r}.")


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
