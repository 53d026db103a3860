"""Home: what CNN Lab is and how to use it."""

import numpy as np
import streamlit as st

from cnnlab.app import resources
from cnnlab.app.cached_pictures import cached_picture, show_picture
from cnnlab.pictures.images import enlarge


def sample_digits_strip(dataset) -> np.ndarray:
    """The first test digit of each class, side by side: uint8 (28, 280)."""
    picks = [np.flatnonzero(dataset.y_test == digit)[0] for digit in range(10)]
    return np.hstack([dataset.x_test[index] for index in picks])


def home_demo() -> None:
    st.markdown(
        """
        A **convolutional neural network** (CNN) reads a picture through layers of small learnt filters.
        CNN Lab trains one on handwritten digits from **MNIST** and lets you look inside it at every step.
        """
    )
    show_picture(cached_picture(enlarge, sample_digits_strip(resources.get_dataset("mnist")), 1), zoom=3,
                 alt="A row of handwritten MNIST digits",
             caption="Ten of the 70,000 MNIST digits the network learns from (28 × 28 pixels each). MNIST is by "
                     "Yann LeCun, Corinna Cortes and Christopher J. C. Burges (CC BY-SA 3.0) and comes with CNN Lab.")
    st.subheader("How to use it")
    st.markdown(
        """
        1. **Train** — choose the conv layers (filters, kernel sizes, pooling, padding, stride, activation) and the
           epochs, press *Train*, and watch the loss fall.
        2. **Filters** — see the small patterns (5 × 5 in the reference model) each conv layer has learnt, and replay
           how the first layer's formed.
        3. **Activations** — draw a digit (or pick a test digit) and follow it through every layer:
           convolution → pooling → convolution → dropout → dense layers in the reference model.
        4. **Prediction** — the network's ten probabilities for your digit, and which pixels pushed it there.

        Then go further: **Watch your digit learn** shows your digit through the network after each epoch,
        **How one number is made** takes one activation apart into its multiplications,
        **Evaluation** shows which digits the network confuses, **What it tolerates** shifts, turns and
        rubs out your digit, **Compare two models** puts two settings side by side, **Code to take away**
        gives your network as a Keras script and a Jupyter notebook, **What a filter looks for** paints the
        picture each filter responds to most, **Fool the network** changes your digit just enough to be misread,
        **All digits at once** maps every test digit by what the network makes of it, **The class's
        experiments** charts every model trained on this server, and **Share and keep** gives a link to your
        settings and the trained model as a file.

        Training runs on the server's training workers, not in your browser: you can switch pages while it
        runs, and a model trained with the same settings by anyone is reused at once.
        """
    )
    st.page_link("app_pages/train.py", label="Start on the Train page", icon=":material/arrow_forward:")


st.caption("See what a convolutional neural network does, one layer at a time.")
home_demo()
