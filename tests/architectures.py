"""Six networks the architecture settings can build, each with its summary worked out by hand: the independent
reference that `plan_layers`, `build_model`, the NumPy passes and the pages are checked against.

Each table row is (layer name, Keras class, output shape without the batch axis, parameters). The sums, written out
in the comments, use out = ⌊(in + padding − kernel) / stride⌋ + 1 for a conv layer ("same" padding gives
ceil(in / stride)), ⌊in / 2⌋ for a 2 × 2 pooling, filters × (kernel² × input channels + 1) parameters for a conv
layer and (inputs + 1) × units for a dense one.
"""

from __future__ import annotations

from cnnlab.config import TrainConfig

ARCHITECTURES = {
    # The seed's network: the README's table.
    "reference": (TrainConfig(), [
        ("conv1", "Conv2D", (24, 24, 30), 780),  # 28 − 5 + 1 = 24; 30 × (25 + 1)
        ("pool", "MaxPooling2D", (12, 12, 30), 0),
        ("conv2", "Conv2D", (10, 10, 15), 4065),  # 12 − 3 + 1 = 10; 15 × (9 × 30 + 1)
        ("dropout", "Dropout", (10, 10, 15), 0),
        ("flatten", "Flatten", (1500,), 0),
        ("dense1", "Dense", (128,), 192128),  # 1501 × 128
        ("dense2", "Dense", (50,), 6450),  # 129 × 50
        ("output", "Dense", (10,), 510),  # 51 × 10
    ]),
    # Three conv layers, "same" padding and stride 2: each conv layer halves the side (rounding up), each pooling
    # halves it again (rounding down).
    "three same stride 2": (TrainConfig(conv_layers=((8, 3), (16, 3), (32, 3)), padding="same", stride=2,
                                        activation="tanh", optimizer="adam", dense_units=(32,)), [
        ("conv1", "Conv2D", (14, 14, 8), 80),  # ceil(28 / 2) = 14; 8 × (9 + 1)
        ("pool1", "MaxPooling2D", (7, 7, 8), 0),
        ("conv2", "Conv2D", (4, 4, 16), 1168),  # ceil(7 / 2) = 4; 16 × (9 × 8 + 1)
        ("pool2", "MaxPooling2D", (2, 2, 16), 0),
        ("conv3", "Conv2D", (1, 1, 32), 4640),  # ceil(2 / 2) = 1; 32 × (9 × 16 + 1)
        ("dropout", "Dropout", (1, 1, 32), 0),
        ("flatten", "Flatten", (32,), 0),
        ("dense1", "Dense", (32,), 1056),  # 33 × 32
        ("output", "Dense", (10,), 330),  # 33 × 10
    ]),
    # One conv layer of 7 × 7 kernels, pooled after it, averaging; tanh; straight to the output.
    "one 7x7 average tanh": (TrainConfig(conv_layers=((10, 7),), pooling="average", activation="tanh",
                                         dense_units=()), [
        ("conv1", "Conv2D", (22, 22, 10), 500),  # 28 − 7 + 1 = 22; 10 × (49 + 1)
        ("pool", "AveragePooling2D", (11, 11, 10), 0),
        ("dropout", "Dropout", (11, 11, 10), 0),
        ("flatten", "Flatten", (1210,), 0),
        ("output", "Dense", (10,), 12110),  # 1211 × 10
    ]),
    # Even kernels with "same" padding (one zero more after than before), no pooling, sigmoid, SGD.
    "even kernels same no pooling sigmoid": (TrainConfig(conv_layers=((6, 4), (5, 2)), padding="same",
                                                         pooling="none", activation="sigmoid", optimizer="sgd",
                                                         dense_units=(16,)), [
        ("conv1", "Conv2D", (28, 28, 6), 102),  # 28 + 1 + 2 − 4 + 1 = 28; 6 × (16 + 1)
        ("conv2", "Conv2D", (28, 28, 5), 125),  # 28 + 0 + 1 − 2 + 1 = 28; 5 × (4 × 6 + 1)
        ("dropout", "Dropout", (28, 28, 5), 0),
        ("flatten", "Flatten", (3920,), 0),
        ("dense1", "Dense", (16,), 62736),  # 3921 × 16
        ("output", "Dense", (10,), 170),  # 17 × 10
    ]),
    # Three "valid" conv layers, stride 1, max pooling after the first two.
    "three valid": (TrainConfig(conv_layers=((16, 5), (16, 3), (8, 3)), dense_units=(64,)), [
        ("conv1", "Conv2D", (24, 24, 16), 416),  # 28 − 5 + 1 = 24; 16 × (25 + 1)
        ("pool1", "MaxPooling2D", (12, 12, 16), 0),
        ("conv2", "Conv2D", (10, 10, 16), 2320),  # 12 − 3 + 1 = 10; 16 × (9 × 16 + 1)
        ("pool2", "MaxPooling2D", (5, 5, 16), 0),
        ("conv3", "Conv2D", (3, 3, 8), 1160),  # 5 − 3 + 1 = 3; 8 × (9 × 16 + 1)
        ("dropout", "Dropout", (3, 3, 8), 0),
        ("flatten", "Flatten", (72,), 0),
        ("dense1", "Dense", (64,), 4672),  # 73 × 64
        ("output", "Dense", (10,), 650),  # 65 × 10
    ]),
    # Stride 2 without padding, a 1 × 1 kernel, then a 7 × 7 kernel that fits its input exactly; average pooling.
    "stride 2 valid 1x1 then 7x7": (TrainConfig(conv_layers=((4, 1), (12, 7)), stride=2, pooling="average",
                                                dense_units=(8,)), [
        ("conv1", "Conv2D", (14, 14, 4), 8),  # ⌊(28 − 1) / 2⌋ + 1 = 14; 4 × (1 + 1)
        ("pool", "AveragePooling2D", (7, 7, 4), 0),
        ("conv2", "Conv2D", (1, 1, 12), 2364),  # ⌊(7 − 7) / 2⌋ + 1 = 1; 12 × (49 × 4 + 1)
        ("dropout", "Dropout", (1, 1, 12), 0),
        ("flatten", "Flatten", (12,), 0),
        ("dense1", "Dense", (8,), 104),  # 13 × 8
        ("output", "Dense", (10,), 90),  # 9 × 10
    ]),
}

# Hand-computed totals of the tables above.
TOTALS = {"reference": 203_933, "three same stride 2": 7274, "one 7x7 average tanh": 12_610,
          "even kernels same no pooling sigmoid": 63_133, "three valid": 9218, "stride 2 valid 1x1 then 7x7": 2566}
