"""Helpers that the tests share with the scripts in `scripts/`, one module each:

- `server`: a real `streamlit run` server in a child process (`AppServer`), and a process's memory;
- `chromium`: Debian's Chromium and the flags it needs here;
- `student`: one student's browser tab, driven through Playwright (`Student`);
- `streamlit_protocol`: a browser tab without the browser, speaking Streamlit's websocket protocol (`Tab`);
- `tour`: every page visited and screenshot, with what a student could not read;
- `budgets`: how a benchmark script reports its missed budgets and exits;

Import them as `tests.support.<module>`, with the repository's root on the import path: pytest puts it there
(`pythonpath = ["."]` in pyproject.toml), and each script does in its first lines. The same root makes a script
importable by its tests, and by another script, as `scripts.<name>`.
"""
