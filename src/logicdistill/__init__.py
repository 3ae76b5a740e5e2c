"""Logic Distillation: a small LLM learns to *select* verified functions a large LLM wrote."""

__version__ = "0.1.0"
