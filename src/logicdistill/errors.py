"""A small error hierarchy: user mistakes and model mistakes are not programming errors.

The CLI turns every ``LogicDistillError`` into a one-line message and a non-zero exit code;
anything else is a bug and keeps its traceback.
"""


class LogicDistillError(Exception):
    """Base class for errors the toolkit reports to the user without a traceback."""


class UserInputError(LogicDistillError):
    """A file, option or argument given by the user cannot be used; the message says how to fix it."""


class EndpointError(LogicDistillError):
    """An OpenAI-compatible endpoint (teacher, evader, student server) could not be used."""


class FunctionError(LogicDistillError):
    """A function from the base raised or returned something its stage does not accept.

    The agent loop records these per stage (they are the model's or the function author's
    mistakes, not ours) and falls back to the stage's default.
    """
