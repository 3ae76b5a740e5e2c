"""The two games shipped with logicdistill, as ordinary tasks registered by entry point
(``pyproject.toml``, group ``logicdistill.tasks``): pursuit and 21 Points."""
