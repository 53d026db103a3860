"""Looking into a trained network: what the pages show of it, computed from plain arrays.

- `activations`: every layer's output for a digit, the filters, the probabilities.
- `arithmetic`: how one conv or pool value is computed from the numbers under it.
- `saliency`, `scores`, `patterns`, `attack`: gradients (NumPy, `cnnlab.network.backward`): which pixels matter, what a
  filter looks for, how little it takes to fool the network.
- `evaluation`, `digit_map`: the model on all its test digits.
- `filter_history`: the filters and answers epoch by epoch, from the snapshots a training keeps.
- `comparison`, `experiments`: two models, or the whole class's, side by side.
- `sentences`: what a layer does and when an answer deserves doubt, in words.

Nothing here imports Streamlit; modules take models and arrays and return arrays and dataclasses.
"""
