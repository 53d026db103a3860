"""The only part of CNN Lab that speaks Streamlit: what the pages share.

- `resources`: the training service and the bundled digits, one of each per server process.
- `model_choice`: the model this tab uses, and the address bar that carries it.
- `kept_widgets`: widget values that survive a page switch.
- `training_view`: the sidebar, the live view of a training, the curves.
- `digit_input`: the digit the pages share, and the drawing canvas.
"""
