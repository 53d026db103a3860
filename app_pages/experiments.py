"""The class's experiments: every model trained on this server, charted so a teacher sees which choices paid off."""

import streamlit as st

from cnnlab.app import model_choice, resources
from cnnlab.lens.experiments import COLOUR_SETTINGS, experiments_table
from cnnlab.pictures.charts import experiments_scatter, selected_point

TABLE_COLUMNS = ["model", "parameters", "training seconds", "test accuracy"]


def chosen_row(table_state, *chart_states) -> int | None:
    """The row a student picked: in the table, else a point clicked in either chart."""
    rows = (table_state or {}).get("selection", {}).get("rows", []) if table_state else []
    if rows:
        return int(rows[0])
    for state in chart_states:
        point = selected_point(state, "model")
        if point is not None and "row" in point:
            return int(point["row"])
    return None


def use_model_ui(record) -> None:
    """A button that makes the picked model the one this tab uses, when its data is the data this tab has."""
    dataset = model_choice.chosen_dataset()
    if record.fingerprint != dataset.fingerprint:
        st.caption(f"This model was trained on other data ({record.dataset_name}); choose that data on the Train "
                   "page to use it.")
        return
    if st.button("Use this model on every page", type="primary", key="experiments_use"):
        job = resources.get_service().submit(record.config, dataset)
        model_choice.use_job(job)
        st.success("This model is now the one your pages use.")


def experiments_demo() -> None:
    records = resources.get_service().records()
    if not records:
        st.info("No model has been trained on this server yet. Every model anyone trains appears here.")
        return
    table = experiments_table(records)
    st.caption(f"{len(table)} model{'s' if len(table) != 1 else ''} so far. Click a point or a row to pick one.")
    colour = st.selectbox("Colour the points by", COLOUR_SETTINGS, key="experiments_colour")
    left, right = st.columns(2)
    by_size = left.altair_chart(experiments_scatter(table, "parameters", colour, log_x=True),
                                on_select="rerun", key="experiments_by_size")
    by_time = right.altair_chart(experiments_scatter(table, "training seconds", colour),
                                 on_select="rerun", key="experiments_by_time")
    picked = st.dataframe(
        table[TABLE_COLUMNS + [colour] if colour not in TABLE_COLUMNS else TABLE_COLUMNS], hide_index=True,
        on_select="rerun", selection_mode="single-row", key="experiments_table",
        column_config={"test accuracy": st.column_config.NumberColumn(format="percent"),
                       "parameters": st.column_config.NumberColumn(format="localized")},
    )
    row = chosen_row(picked, by_size, by_time)
    if row is not None:
        st.markdown(f"**Picked:** {table['model'][row]} · {table['test accuracy'][row]:.2%} on the test digits")
        use_model_ui(records[row])


st.title("The class's experiments")
st.markdown(
    "Every model trained on this server, whoever trained it (no names are kept). Each point is one model: "
    "**higher is better**, further **left** is a smaller network or a shorter training. Colour the points by a "
    "setting to see which choices paid off, and pick a model to try it on the other pages."
)
experiments_demo()
