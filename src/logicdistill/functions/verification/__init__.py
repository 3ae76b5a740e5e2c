"""Untrusted (LLM- or human-written) functions are verified before they join a base: static checks
on the syntax tree, then dynamic checks on sample decisions from the real game in a separate,
confined worker process (``functions.sandbox``). See ``verify.Verifier`` and ``admit.add_source``."""

from logicdistill.functions.verification.admit import RejectedError, add_source, merge
from logicdistill.functions.verification.samples import Sample, SampleSet
from logicdistill.functions.verification.verify import Limits, Report, Verdict, Verifier

__all__ = [
    "Limits",
    "RejectedError",
    "Report",
    "Sample",
    "SampleSet",
    "Verdict",
    "Verifier",
    "add_source",
    "merge",
]
