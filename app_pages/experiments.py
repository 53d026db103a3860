"""The class's experiments: every model trained on this server, charted so a teacher sees which choices paid off."""

import streamlit as st

from cnnlab.app import model_choice, resources
from cnnlab.app.cached_pictures import chart_spec
from cnnlab.lens.experiments import COLOUR_SETTINGS, SORT_ORDERS, experiments_table, shipped_record, sorted_records
from cnnlab.pictures.charts import experiments_scatter, selected_point

# The accuracy next to the name: on a phone the table shows its first two columns, and scrolls for the rest.
TABLE_COLUMNS = ["model", "test accuracy", "yours", "training seconds", "parameters"]
# Percent with two decimals for every row ("98.90 %", never "98.9%" beside "98.99%"): Streamlit's percent format
# shows two fewer decimals than the step has.
ACCURACY_COLUMN = st.column_config.NumberColumn("test accuracy", format="percent", step=0.0001)


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


def charts_ui(table, colour: str) -> tuple:
    """Accuracy against size and against training time, side by side; returns both charts' selections."""
    left, right = st.columns(2)
    by_size = left.vega_lite_chart(spec=chart_spec(experiments_scatter, table, "parameters", colour, log_x=True),
                                on_select="rerun", key="experiments_by_size")
    timed = table[table["timed here"]]
    by_time = None
    if len(timed):
        by_time = right.vega_lite_chart(spec=chart_spec(experiments_scatter, timed, "training seconds", colour),
                                     on_select="rerun", key="experiments_by_time")
    if len(timed) < len(table):
        right.caption("The reference model that ships with CNN Lab was trained on another computer, so its time "
                      "is left off this chart: only trainings timed on this server are compared.")
    return by_size, by_time


def experiments_demo() -> None:
    service = resources.get_service()
    shipped = shipped_record()
    records = service.records()
    if not records:
        st.info("No model has been trained on this server yet. Every model anyone trains appears here.")
        return
    st.caption(f"{len(records)} model{'s' if len(records) != 1 else ''} so far, each named by what sets it apart "
               "from the reference model. Click a point or a row to pick one and see all its settings.")
    left, right = st.columns(2)
    colour = left.selectbox("Colour the points by", COLOUR_SETTINGS, key="experiments_colour")
    order = right.selectbox("Sort the table", SORT_ORDERS, key="experiments_order")
    records = sorted_records(records, order, shipped)
    table = experiments_table(records, own=model_choice.own_model_keys(), shipped=shipped,
                              usual_fingerprint=resources.get_dataset("mnist").fingerprint)
    by_size, by_time = charts_ui(table, colour)
    columns = TABLE_COLUMNS + ([colour] if colour not in TABLE_COLUMNS else [])
    picked = st.dataframe(
        table[columns], hide_index=True, on_select="rerun", selection_mode="single-row", key="experiments_table",
        column_config={"test accuracy": ACCURACY_COLUMN,
                       "training seconds": st.column_config.NumberColumn(format="%.1f"),
                       "parameters": st.column_config.NumberColumn(format="localized")},
    )
    row = chosen_row(picked, by_size, by_time)
    if row is not None:
        st.markdown(f"**Picked:** {table['model'][row]} · {table['test accuracy'][row]:.2%} on the test digits")
        st.caption(f"All its settings: {table['settings'][row]} · data: {table['data'][row]}")
        use_model_ui(records[row])


st.markdown(
    "Every model trained on this server, whoever trained it (no names are kept; your own are marked *yours*). "
    "Each point is one model: **higher is better**, further **left** is a smaller network or a shorter training. "
    "Colour the points by a setting to see which choices paid off, and pick a model to try it on the other pages."
)
experiments_demo()
