"""Views of a graph: the Graphviz drawing and the terminal tree.

Views read what the engine holds (values, grads, the op table) and never change it; the engine
knows nothing of them.
"""
