"""CNN Lab: see what a convolutional neural network does, one layer at a time.

Run with `streamlit run streamlit_app.py`. This file only sets up navigation; each page lives in `pages/`.
"""

import streamlit as st

st.set_page_config(page_title="CNN Lab", page_icon="🔬", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/filters.py", title="Filters", icon=":material/grid_on:"),
    st.Page("pages/activations.py", title="Activations", icon=":material/layers:"),
    st.Page("pages/prediction.py", title="Prediction", icon=":material/bar_chart:"),
]

st.navigation(PAGES).run()
