"""CNN Lab's engine: data, the reference CNN, training, inspection and preprocessing, free of Streamlit
(except `cnnlab.ui`, the thin layer the pages share)."""
