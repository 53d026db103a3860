"""Code to take away: the model in use as a plain Keras script and as a Jupyter notebook.

Both are built from one list of sections (a title, a sentence for the reader, a block of code), so the script and
the notebook's code cells are the same program. The program is written in the Keras tutorial's own style
(`keras.Sequential` starting with `keras.Input`, one line per layer as `cnnlab.network.model.plan_layers` lists
them, the settings' optimiser, sparse categorical cross-entropy) and shows the first conv layer's learnt filters and
a digit's activation maps with matplotlib. It never imports `cnnlab`: a student runs it in Colab or
Jupyter, where MNIST comes from `keras.datasets.mnist.load_data()`; setting CNNLAB_DIGITS to an .npz file with
x_train, y_train, x_test and y_test (uint8 images, int labels) reads the digits from that file instead (offline).
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnlab.config import TrainConfig
from cnnlab.network.model import SGD_MOMENTUM, PlannedLayer, plan_layers
from cnnlab.words import describe_config

DIGITS_VARIABLE = "CNNLAB_DIGITS"
# Each optimiser setting as the program builds it, at its LEARNING_RATE.
OPTIMIZER_CODE = {"rmsprop": "keras.optimizers.RMSprop(learning_rate=LEARNING_RATE)",
                  "adam": "keras.optimizers.Adam(learning_rate=LEARNING_RATE)",
                  "sgd": f"keras.optimizers.SGD(learning_rate=LEARNING_RATE, momentum={SGD_MOMENTUM})"}
OPTIMIZER_NAMES = {"rmsprop": "RMSprop", "adam": "Adam", "sgd": "SGD with momentum"}


@dataclass(frozen=True)
class Section:
    """One step of the program: `title` and `text` for the reader (markdown), `code` (Python source, no final
    newline)."""

    title: str
    text: str
    code: str


def program_sections(config: TrainConfig) -> list[Section]:
    """The program for `config`, step by step (see the module's docstring)."""
    if not isinstance(config, TrainConfig):
        raise ValueError(f"Code can only be written for a TrainConfig, not {type(config).__name__}.")
    planned = plan_layers(config)
    network_layers = "".join(f"\n        {_layer_code(layer)}," for layer in planned)
    conv1 = planned[0]
    kernel = f"{conv1.window}×{conv1.window}"
    augment_layers = (
        '\n        # Small random turns, shifts and zooms of each training digit (only while training).'
        '\n        layers.RandomRotation(10 / 360, fill_mode="constant", seed=SEED),'
        '\n        layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=SEED + 1),'
        '\n        layers.RandomZoom(0.1, fill_mode="constant", seed=SEED + 2),'
        if config.augment else ""
    )
    augment_note = ", and random turns, shifts and zooms of the training digits" if config.augment else ""
    return [
        Section("Imports", "Keras for the network, NumPy for the digits and matplotlib for the pictures.", """\
import os

import matplotlib.pyplot as plt
import numpy as np

import keras
from keras import layers"""),
        Section("Settings", "The settings of the model trained in CNN Lab.", f"""\
# The layers are written out one by one in "The network" below: conv layers (filters, kernel size)
# {config.conv_layers!r}, {config.pooling} pooling, hidden dense layers {config.dense_units!r}{augment_note}.
PADDING = "{config.padding}"
STRIDE = {config.stride}
ACTIVATION = "{config.activation}"
DROPOUT = {config.dropout!r}
EPOCHS = {config.epochs}
BATCH_SIZE = {config.batch_size}
LEARNING_RATE = {config.learning_rate!r}
SEED = {config.seed}
TRAIN_SIZE = {config.train_size!r}  # None: every training digit
VALIDATION_FRACTION = {config.validation_fraction!r}

keras.utils.set_random_seed(SEED)"""),
        Section("The digits",
                "MNIST from Keras (downloaded once). To read the digits from a file instead, set the environment "
                f"variable `{DIGITS_VARIABLE}` to an `.npz` file holding `x_train`, `y_train`, `x_test` and "
                "`y_test`. Pixels become floats in [0, 1] with one channel, as the network reads them.", f"""\
def load_digits(path=None):
    \"\"\"(x_train, y_train), (x_test, y_test): uint8 images (n, 28, 28) and labels 0-9.\"\"\"
    path = path or os.environ.get("{DIGITS_VARIABLE}")
    if path:
        with np.load(path) as digits:
            return (digits["x_train"], digits["y_train"]), (digits["x_test"], digits["y_test"])
    return keras.datasets.mnist.load_data()


(x_train, y_train), (x_test, y_test) = load_digits()
if TRAIN_SIZE is not None and TRAIN_SIZE < len(x_train):
    # A random subset of the training digits, the same one for the same seed.
    chosen = np.random.default_rng(SEED).permutation(len(x_train))[:TRAIN_SIZE]
    x_train, y_train = x_train[chosen], y_train[chosen]
x_train = (x_train.astype("float32") / 255)[..., np.newaxis]
x_test = (x_test.astype("float32") / 255)[..., np.newaxis]
print("training digits:", x_train.shape, " test digits:", x_test.shape)"""),
        Section("The network", _network_text(config), f"""\
model = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),{augment_layers}{network_layers}
    ]
)
model.summary()
print(f"Parameters: {{model.count_params():,}}")"""),
        Section("Training", f"{OPTIMIZER_NAMES[config.optimizer]} and sparse categorical cross-entropy; part of "
                "the training digits is held back to check the model on digits it does not learn from.", f"""\
model.compile(
    optimizer={OPTIMIZER_CODE[config.optimizer]},
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
history = model.fit(
    x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, validation_split=VALIDATION_FRACTION, shuffle=True
)
test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"Test accuracy: {{test_accuracy:.2%}}")"""),
        Section("The learnt filters",
                f"Each {kernel} filter of the first layer: blue weights add the pixel's ink, red ones subtract it.",
                f"""\
kernels = model.get_layer("conv1").get_weights()[0]  # {_shape_comment(conv1.weight_shapes[0])}
filter_count = kernels.shape[-1]
columns = 6
rows = -(-filter_count // columns)
limit = np.abs(kernels).max()
figure, axes = plt.subplots(rows, columns, figsize=(columns * 1.2, rows * 1.2), squeeze=False)
for index, axis in enumerate(axes.flat):
    axis.axis("off")
    if index < filter_count:
        axis.imshow(kernels[:, :, 0, index], cmap="RdBu", vmin=-limit, vmax=limit)
        axis.set_title(str(index + 1), fontsize=8)
figure.suptitle("conv1 filters")
plt.show()"""),
        Section("Activation maps",
                "One test digit passed through the first conv layer: one map per filter, bright where the "
                "filter found its pattern.", f"""\
digit = x_test[:1]
conv1_model = keras.Model(model.inputs, model.get_layer("conv1").output)
maps = conv1_model.predict(digit, verbose=0)[0]  # {_shape_comment(conv1.output_shape)}
print("The network reads this digit as", int(model.predict(digit, verbose=0).argmax()), "- its label is",
      int(y_test[0]))
figure, axes = plt.subplots(rows, columns + 1, figsize=((columns + 1) * 1.2, rows * 1.2), squeeze=False)
for axis in axes.flat:
    axis.axis("off")
axes[0, 0].imshow(digit[0, :, :, 0], cmap="gray")
axes[0, 0].set_title("input", fontsize=8)
for index in range(filter_count):
    axis = axes[index // columns, index % columns + 1]
    axis.imshow(maps[:, :, index], cmap="magma")
    axis.set_title(str(index + 1), fontsize=8)
figure.suptitle("conv1 activation maps")
plt.show()"""),
    ]


def _layer_code(layer: PlannedLayer) -> str:
    """One layer of `keras.Sequential`'s list, as the program writes it (the settings' names where they apply)."""
    if layer.kind == "Conv2D":
        return (f"layers.Conv2D({layer.units}, kernel_size=({layer.window}, {layer.window}), strides=STRIDE, "
                f'padding=PADDING, activation=ACTIVATION, name="{layer.name}")')
    if layer.kind in ("MaxPooling2D", "AveragePooling2D"):
        return f'layers.{layer.kind}(pool_size=(2, 2), name="{layer.name}")'
    if layer.kind == "Dropout":
        return 'layers.Dropout(DROPOUT, seed=SEED, name="dropout")'
    if layer.kind == "Flatten":
        return 'layers.Flatten(name="flatten")'
    if layer.name == "output":
        return 'layers.Dense(10, activation="softmax", name="output")'
    return f'layers.Dense({layer.units}, activation=ACTIVATION, name="{layer.name}")'


def _network_text(config: TrainConfig) -> str:
    """The network section's sentence: what its layers are, in order."""
    count = len(config.conv_layers)
    convolutions = "One convolution" if count == 1 else f"{['Two', 'Three'][count - 2]} convolutions"
    if config.pooling == "none":
        pooling = " without pooling"
    elif count == 1:
        pooling = f" with {config.pooling} pooling after it"
    else:
        pooling = f" with {config.pooling} pooling between them"
    return f"{convolutions}{pooling}, dropout, then dense layers down to ten probabilities."


def _shape_comment(shape: tuple[int, ...]) -> str:
    """A shape as the program's comments write it: "(5, 5, 1, 30)"."""
    return f"({', '.join(map(str, shape))})"


def keras_script(config: TrainConfig) -> str:
    """The program as one runnable Python file (text ending in a newline)."""
    sections = program_sections(config)  # first, so that anything but a TrainConfig is a sentence
    header = (f'"""CNN Lab\'s model as a plain Keras script.\n\nSettings: {describe_config(config)}.\n'
              "Run it with `python` (MNIST is downloaded by Keras), or offline with "
              f"{DIGITS_VARIABLE}=digits.npz.\n\"\"\"\n")
    parts = [header]
    for section in sections:
        parts.append(f"\n# {section.title}\n{section.code}\n")
    return "".join(parts)


def keras_notebook(config: TrainConfig) -> str:
    """The program as a Jupyter notebook (nbformat 4 JSON text): a markdown cell and a code cell per step."""
    import nbformat

    sections = program_sections(config)
    cells = [nbformat.v4.new_markdown_cell(
        f"# CNN Lab's model in Keras\n\nSettings: {describe_config(config)}.\n\n"
        "Run the cells from top to bottom (in Colab: *Runtime → Run all*). Your model's weights will differ a "
        "little from CNN Lab's, because the starting weights and the order of the digits are drawn differently; "
        "the settings are the same.")]
    for section in sections:
        cells.append(nbformat.v4.new_markdown_cell(f"## {section.title}\n\n{section.text}"))
        cells.append(nbformat.v4.new_code_cell(section.code))
    notebook = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })
    nbformat.validate(notebook)
    return nbformat.writes(notebook)


def download_name(config: TrainConfig) -> str:
    """A file name (without extension) that says which settings it holds, e.g. "cnnlab-30-15-3epochs" (each conv
    layer's filters, then the epochs)."""
    filters = "-".join(str(filters) for filters, _ in config.conv_layers)
    return f"cnnlab-{filters}-{config.epochs}epochs"
