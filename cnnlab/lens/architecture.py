"""What the Train page explains about a network's shape before anyone trains it: each conv and pooling layer's
output size worked out with its own numbers, what each architecture setting does, and experiments to compare.

Everything here comes from the settings alone (`cnnlab.network.model.plan_layers`), so it follows the sliders at
once and needs no trained model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cnnlab.config import TrainConfig
from cnnlab.network.model import PlannedLayer, plan_layers

# The general formula, as the page writes it above the worked ones.
SIZE_FORMULA = "out = ⌊(in + 2·pad − kernel) / stride⌋ + 1"

# One sentence per architecture setting: what it changes, and what to watch for.
LESSONS = {
    "conv_layers": "Each conv layer looks for patterns in the maps of the one before, so a deeper network can "
                   "combine strokes into loops and corners; watch each layer's maps get smaller and more numerous "
                   "in the table.",
    "kernel_size": "The kernel size is the side of the square patch each filter looks at: a larger kernel sees more "
                   "of the digit at once, but has more weights to learn and leaves a smaller map without padding.",
    "pooling": "Pooling keeps one number of every 2 × 2 square, the largest (max) or their mean (average), which "
               "halves each map's side; without it the maps stay large and the first dense layer gets far more "
               "weights, so training slows down.",
    "padding": "“Same” padding puts a border of zeros around the input, so a conv layer's output is as large as "
               "its input (at stride 1); “valid” adds none, so each conv layer trims kernel − 1 rows and columns.",
    "stride": "The stride is how far the kernel moves between two outputs: stride 2 skips every other position, so "
              "the map's side halves, as pooling does, with a quarter of the arithmetic.",
    "activation": "The activation bends each value after the weighted sum: ReLU keeps positives and zeroes the "
                  "rest, while tanh and sigmoid squash everything into a narrow range, where gradients fade "
                  "(sigmoid most), so they learn more slowly and their loss curves fall later.",
    "optimizer": "The optimiser decides how each step changes the weights: SGD takes plain steps of the learning "
                 "rate (with momentum), RMSprop and Adam scale each weight's step by how large its recent "
                 "gradients were, and usually reach a good accuracy in fewer epochs.",
}


@dataclass(frozen=True)
class Experiment:
    """Two settings worth comparing on the Compare page: `question` (what the pair shows), the settings `first` and
    `second` change from the reference model's, in words (`first_name`, `second_name`), and what to watch for."""

    question: str
    first_name: str
    first: dict
    second_name: str
    second: dict
    watch: str


# Each pair on 10,000 training images, so both train in a minute or two.
EXPERIMENTS = (
    Experiment("Why did ReLU replace sigmoid?", "ReLU", {"activation": "relu"}, "sigmoid", {"activation": "sigmoid"},
               "the sigmoid network's loss stays high longer: its gradients fade on the way back to the first "
               "layers."),
    Experiment("What does pooling buy?", "max pooling", {"pooling": "max"}, "no pooling", {"pooling": "none"},
               "without pooling, the table's first dense layer has about five times the weights, and the training "
               "takes longer for little or no gain."),
    Experiment("One big kernel or several small ones?", "two conv layers, 5×5 then 3×3", {},
               "three conv layers of 3×3, “same” padding",
               {"conv_layers": ((16, 3), (32, 3), (64, 3)), "padding": "same"},
               "the deeper network sees as far with small kernels; compare the accuracy and the parameter count."),
)
EXPERIMENT_TRAINING_IMAGES = 10_000


def experiment_settings(experiment: Experiment) -> tuple[TrainConfig, TrainConfig]:
    """The two settings an experiment compares: the reference model's with its changes, on
    EXPERIMENT_TRAINING_IMAGES training images."""
    base = TrainConfig(train_size=EXPERIMENT_TRAINING_IMAGES)
    return replace(base, **experiment.first), replace(base, **experiment.second)


def size_formulas(config: TrainConfig) -> list[tuple[str, str]]:
    """Each conv and pooling layer's output side worked out with its own numbers: [(layer name, text), …], e.g.
    ("conv1", "⌊(28 + 2·0 − 5) / 1⌋ + 1 = 24"). Padding that is not the same on both sides ("same" padding with an
    even kernel) is written as its two sides: "⌊(28 + 1 + 2 − 4) / 1⌋ + 1 = 28". Raises
    `cnnlab.network.model.NetworkTooSmall` for settings that make no network."""
    return [(layer.name, size_formula(layer)) for layer in plan_layers(config) if layer.window]


def size_formula(layer: PlannedLayer) -> str:
    """One conv or pooling layer's output side, ⌊(in + 2·pad − kernel) / stride⌋ + 1, with its numbers."""
    before, after = layer.padding_sides
    padding = f"2·{before}" if before == after else f"{before} + {after}"
    side_in, side_out = layer.input_shape[0], layer.output_shape[0]
    return f"⌊({side_in} + {padding} − {layer.window}) / {layer.stride}⌋ + 1 = {side_out}"
