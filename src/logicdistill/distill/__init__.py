"""Distillation: recording the teacher's decisions and training the student on them."""
