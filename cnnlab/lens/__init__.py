"""Looking into a trained network: what its filters look for (`patterns`), how little it takes to fool it
(`attack`), and where it puts every test digit (`digit_map`).

These modules take a trained Keras model and plain arrays and return arrays and dataclasses; they may use
`cnnlab.model` and `cnnlab.backend`, never Streamlit or `cnnlab.ui`.
"""
