"""CNN Lab's engine, in layers; a module imports only from its own layer and the ones listed before it.

1. `config` (the settings, `TrainConfig`) and `words` (how settings, sizes and numbers are written for a student).
2. `digits`: the digit format, the bundled MNIST, CSV files, drawings and uploads, distortions.
3. `network`: the CNN built from a `TrainConfig`, its NumPy forward pass, training, time estimates.
4. `jobs`: trainings queued on Dask workers, and the models kept on disk.
5. `lens`: what the pages show of a network: activations, arithmetic, gradients, evaluation, comparisons.
6. `pictures`: images, charts and links made from those arrays.
7. `app`: the only package that imports Streamlit; the pages in `app_pages/` build on it.
"""
