"""Code to take away: the model in use as a Keras script and a Jupyter notebook to download."""

import streamlit as st

from cnnlab.app import model_choice
from cnnlab.network.model import summary_table
from cnnlab.network.takeaway import DIGITS_VARIABLE, download_name, keras_notebook, keras_script
from cnnlab.words import describe_config


@st.cache_data(max_entries=16)
def program_files(config) -> tuple[str, str]:
    """The script and the notebook for `config` (a frozen TrainConfig, so it is the cache key)."""
    return keras_script(config), keras_notebook(config)


def takeaway_demo() -> None:
    result = model_choice.current_result()
    config = result.config
    script, notebook = program_files(config)
    st.markdown(f"The model in use: **{describe_config(config)}**.")
    name = download_name(config)
    left, right = st.columns(2)
    left.download_button("Jupyter notebook (.ipynb)", data=notebook, file_name=f"{name}.ipynb",
                         mime="application/x-ipynb+json", key="takeaway_notebook", on_click="ignore",
                         type="primary", icon=":material/download:")
    right.download_button("Python script (.py)", data=script, file_name=f"{name}.py", mime="text/x-python",
                          key="takeaway_script", on_click="ignore", icon=":material/download:")
    st.markdown(
        "**In Colab**: *File → Upload notebook*, then *Runtime → Run all*. **In Jupyter**: open the notebook "
        "and run every cell. **As a script**: `python " + f"{name}.py`. "
        "Keras downloads MNIST the first time (11 MB). Without internet, point the environment variable "
        f"`{DIGITS_VARIABLE}` to an `.npz` file holding `x_train`, `y_train`, `x_test` and `y_test`."
    )
    st.caption("Your copy's weights will differ a little from CNN Lab's (the starting weights and the order of the "
               "digits are drawn differently), but the network and its settings are the same: "
               f"{int(summary_table(config)['parameters'].iloc[-1]):,} parameters, as on the Train page.")
    with st.expander("Read the script", expanded=True):
        st.code(script, language="python", line_numbers=True)


st.markdown(
    "Everything CNN Lab does with your network fits in about a hundred lines of Keras. Download them, run them "
    "in Colab or Jupyter, change them: the same layers and settings, the training, the filter grid and the "
    "activation maps, drawn with matplotlib."
)
takeaway_demo()
