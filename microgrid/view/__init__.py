"""Views of a graph: the Graphviz drawing, the terminal tree, the chain rule written out, the
grader of hand derivations, and the step-through page (``stepping/``).

Views read what the engine holds (values, grads, the op table) and never change it; the engine
knows nothing of them. ``names`` gives every node its one name and formats numbers for all
views; ``fonts`` picks fonts that have a label's characters; ``groups`` finds the neurons of a
``microgrid.nn`` model from their labels, so a drawing can fold each into a box.
"""
