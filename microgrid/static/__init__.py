"""The static graph: ``trace`` records a function once and writes its forward and backward as
straight-line code, run on floats or on NumPy batches.

``trace.py`` keeps the API and the recording, ``arguments.py`` reads argument structures,
``codegen.py`` writes the code and ``batch.py`` runs it on NumPy; ``export.py`` hands the same
code, and the models' weights, to PyTorch and JAX. It imports the engine, never
the views or the command line.
"""
