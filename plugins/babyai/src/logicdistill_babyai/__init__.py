"""BabyAI as a logicdistill task (``logicdistill_babyai.task.BabyAITask``, registered as ``babyai``)."""
