"""Views of a graph: the Graphviz drawing, the terminal tree, the chain rule written out, the
grader of hand derivations, and the step-through page (``stepping/``).

Views read what the engine holds (values, grads, the op table) and never change it; the engine
knows nothing of them.
"""
