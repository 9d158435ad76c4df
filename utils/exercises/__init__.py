"""Exercise checks, one module a lesson: ``lessonNN.py`` declares exercises ``"NN.k"``."""
