"""Strict prompt checks for text-to-image models: every word known, nothing cut.

`kgen.text.WordTokenizer.encode` is lenient, as a training pipeline wants:
unknown words become ``[unk]`` and long captions are cut to ``max_length``.
A prompt given to a trained model deserves the opposite: a word the model
never saw, or words beyond what it reads, would be silently ignored and the
images would not show what was asked. `prompt_ids` refuses such prompts
with a ``ValueError`` that names the problem and the vocabulary.
"""

import numpy as np

__all__ = ["attribute_caption_vocabulary", "prompt_ids"]

# words of the vocabulary listed in an error message, at most
_LISTED_WORDS = 40


def _vocabulary_text(tokenizer):
    words = list(tokenizer.vocabulary)
    listed = ", ".join(words[:_LISTED_WORDS])
    if len(words) > _LISTED_WORDS:
        listed += f", ... ({len(words)} words)"
    return listed


def prompt_ids(tokenizer, prompts, *, name="prompts", allow_empty=False):
    """Token ids of prompts, refusing unknown words, too many words and empty ones.

    Args:
        tokenizer: a `kgen.text.WordTokenizer`.
        prompts: a string or a list of strings.
        name: what to call the prompts in messages.
        allow_empty: accept the empty prompt (all padding: "no description").

    Returns:
        int32 ``(len(prompts), tokenizer.max_length)``.

    Raises:
        ValueError: for a non-string prompt, an empty prompt (unless
            ``allow_empty``), more words than ``max_length`` or words outside
            the vocabulary, naming the prompt and what was expected.

    Examples:
        >>> from kgen.text import WordTokenizer
        >>> tokenizer = WordTokenizer(["dark", "small", "boot"], max_length=3)
        >>> prompt_ids(tokenizer, ["small dark boot"]).tolist()
        [[3, 2, 4]]
        >>> prompt_ids(tokenizer, "small hat")
        Traceback (most recent call last):
            ...
        ValueError: prompts[0] 'small hat' has a word the model does not know: ['hat']. Use words of its vocabulary: dark, small, boot.
    """
    if isinstance(prompts, str):
        prompts = [prompts]
    if isinstance(prompts, np.ndarray):
        prompts = prompts.tolist()
    if not isinstance(prompts, (list, tuple)) or not prompts:
        raise ValueError(
            f"Expected {name} as a string or a non-empty list of strings; received "
            f"{prompts!r}."
        )
    known = set(tokenizer.vocabulary)
    for index, prompt in enumerate(prompts):
        if not isinstance(prompt, str):
            raise ValueError(
                f"Expected {name} as strings; {name}[{index}] is {prompt!r}."
            )
        words = tokenizer.split(prompt)
        if not words and not allow_empty:
            raise ValueError(
                f"{name}[{index}] {prompt!r} is empty (no word of the vocabulary); "
                "describe the image with words of the vocabulary "
                f"({_vocabulary_text(tokenizer)}), or draw images without a "
                "prompt with sample()."
            )
        if len(words) > tokenizer.max_length:
            raise ValueError(
                f"{name}[{index}] {prompt!r} has {len(words)} words; the model reads "
                f"at most {tokenizer.max_length} (its tokenizer's max_length). "
                "Shorten the prompt."
            )
        unknown = [w for w in words if w not in known]
        if unknown:
            plural = "words" if len(unknown) > 1 else "a word"
            raise ValueError(
                f"{name}[{index}] {prompt!r} has {plural} the model does not know: "
                f"{unknown}. Use words of its vocabulary: "
                f"{_vocabulary_text(tokenizer)}."
            )
    return tokenizer.encode(list(prompts))


def attribute_caption_vocabulary(*class_names):
    """Every word `kgen.text.attribute_captions` writes for these class names.

    The attribute words (``small``, ``large``, ``dark``, ``bright``) and the
    class names, in that order, without repeats; by default those of
    Fashion-MNIST and of the digits, so that one vocabulary serves both.

    Examples:
        >>> attribute_caption_vocabulary(["boot", "bag"])
        ['small', 'large', 'dark', 'bright', 'boot', 'bag']
    """
    from kgen.text.captions import DIGIT_NAMES, FASHION_MNIST_NAMES

    names = class_names or (FASHION_MNIST_NAMES, DIGIT_NAMES)
    words = ["small", "large", "dark", "bright"]
    for group in names:
        words.extend(w for w in group if w not in words)
    return words
