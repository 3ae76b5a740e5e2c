"""Serving a student over HTTP: OpenAI's chat API for any client, and ``/v1/select`` for LD
selection with the exact prompt and scoring of the in-process agent."""

from logicdistill.serve.app import create_app
from logicdistill.serve.limits import ServeLimits
from logicdistill.serve.server import check_port, load_served_student, serve

__all__ = ["ServeLimits", "check_port", "create_app", "load_served_student", "serve"]
