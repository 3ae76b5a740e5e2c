"""Names and manuals are untrusted text: a function's name becomes a file name and a token in every
prompt, its manual goes into the student's prompt, the retrieval index and the terminal. These
checks run at admission (``verification/static.py``) and again whenever a base is loaded or saved
(``base.py``), so a base edited on disk cannot smuggle in what admission refuses.

They need no model: the student's control tokens are matched by a static list of patterns, which
``tests/functions/test_base_hostile.py`` checks against the real tokenizer's special tokens.
"""

from __future__ import annotations

import keyword
import re
import unicodedata

from logicdistill.functions.spec import Manual

MAX_NAME_CHARS = 64  # a readable name; far below any file system's 255-byte limit
MAX_MANUAL_CHARS = 1_500  # manuals go into every prompt and retrieval index
SHOWN_CHARS = 40  # how much of an offending text an error message quotes

# The special and added tokens of the student, SmolLM2-135M-Instruct (its tokenizer's
# ``added_tokens_decoder``). A tokenizer turns these strings into the control tokens themselves,
# so a manual holding ``<|im_end|>\n<|im_start|>assistant`` could close the prompt's turn and
# speak for the model.
STUDENT_SPECIAL_TOKENS = (
    "<|im_start|>",
    "<|im_end|>",
    "<|endoftext|>",
    "<empty_output>",
    "<file_sep>",
    "<filename>",
    "<gh_stars>",
    "<issue_closed>",
    "<issue_comment>",
    "<issue_start>",
    "<jupyter_code>",
    "<jupyter_output>",
    "<jupyter_script>",
    "<jupyter_start>",
    "<jupyter_text>",
    "<repo_name>",
    "<reponame>",
)
# The marker families of common chat templates, so another student is covered without a model
# load: ``<|...|>`` (ChatML, Llama 3, Phi; DeepSeek's with fullwidth bars), tag-like ``<s>``,
# ``</s>``, ``<start_of_turn>``, ``<<SYS>>`` (every token above is one of these), and Mistral's
# ``[INST]``, ``[/INST]``, ``[SYSTEM_PROMPT]``. Manuals are plain prose: nothing legitimate looks
# like this (comparisons such as "2 < x < 7" and lowercase brackets such as "[3, 4]" do not match).
CONTROL_MARKERS = re.compile(r"<[|\uff5c][^<>]{0,64}[|\uff5c]>|</?[A-Za-z_][\w-]{0,64}>|\[/?[A-Z][A-Z_]{2,}\]")
TERMINAL_ESCAPES = ("\x1b", "\x9b")  # ESC and the 8-bit CSI start every ANSI/VT control sequence


def shown(text: str) -> str:
    """``text`` quoted for an error message: ASCII-escaped (no control character reaches the
    terminal, a homoglyph shows as its code point) and cut to a readable length."""
    cut = text[:SHOWN_CHARS]
    return ascii(cut) + ("..." if len(text) > SHOWN_CHARS else "")


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a function, or None. Names must be ASCII so that a homoglyph of
    another function's name (Cyrillic 'е' for Latin 'e') cannot pose as it."""
    if not (name.isascii() and name.isidentifier()):
        return f"function name {shown(name)} must be an ASCII Python identifier (letters a-z, A-Z, digits, '_')"
    if len(name) > MAX_NAME_CHARS:
        return f"function name {shown(name)} is {len(name)} characters long; at most {MAX_NAME_CHARS} are accepted"
    if keyword.iskeyword(name):
        return f"function name {name!r} is a Python keyword"
    if name.startswith("_"):
        return f"function name {name!r} may not start with '_'"
    return None


def control_problem(text: str) -> str | None:
    """Why ``text`` may not be printed or stored as one line, or None: terminal escapes and every
    other control, format, private-use or unassigned character, and any whitespace but a space."""
    if any(escape in text for escape in TERMINAL_ESCAPES):
        return "holds a terminal escape sequence (ESC)"
    for char in text:
        if char != " " and (unicodedata.category(char).startswith("C") or char.isspace()):
            return f"holds the control character {ascii(char)} (U+{ord(char):04X})"
    return None


def manual_problems(manual: Manual) -> list[str]:
    """Why ``manual`` cannot be offered to the student: too long, control characters, or text the
    student's tokenizer would read as a control token."""
    text = manual.text()
    problems = []
    if len(manual.what) + len(manual.when) > MAX_MANUAL_CHARS:
        problems.append(f"the manual is longer than {MAX_MANUAL_CHARS} characters")
    if (problem := control_problem(text)) is not None:
        problems.append(f"the manual {problem}")
    if (marker := CONTROL_MARKERS.search(text)) is not None:
        problems.append(
            f"the manual holds {shown(marker.group())}, which reads as a chat-template control token; "
            "manuals are plain prose"
        )
    return problems


def terminal_safe(text: str) -> str:
    """``text`` with every character a terminal could act on shown as its escape (``\\x1b``);
    line breaks are kept. For printing untrusted text defensively, after it was checked."""
    return "".join(c if c == "\n" or c.isprintable() else ascii(c)[1:-1] for c in text)
