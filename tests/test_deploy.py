"""The deployment files: the Dockerfile has what a safe, persistent deployment needs, .dockerignore keeps the app in
the image, and .streamlit/config.toml uses only options Streamlit knows, with the values Streamlit then reports.

No Docker engine runs here, so the Dockerfile is read as text; its health check command is run for real against a
stand-in for Streamlit's health endpoint.
"""

from __future__ import annotations

import fnmatch
import http.server
import json
import os
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from cnnlab.jobs.cluster import settings_as_environment

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
CONFIG = ROOT / ".streamlit" / "config.toml"
# What the running app reads from its folder; none of it may be left out of the image.
NEEDED_IN_IMAGE = ["streamlit_app.py", "requirements.txt", "cnnlab/app/resources.py", "cnnlab/digits/assets/mnist.npz",
                   "cnnlab/jobs/assets/reference_model.zip", "cnnlab/app/assets/app_icon.png", "app_pages/home.py",
                   ".streamlit/config.toml"]


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined and comments dropped, as Docker reads them."""
    parsed = DockerfileParser(path=str(DOCKERFILE))
    return [(item["instruction"], item["value"]) for item in parsed.structure if item["instruction"] != "COMMENT"]


def arguments_of(name: str) -> list[str]:
    return [arguments for instruction, arguments in dockerfile_instructions() if instruction == name]


def environment_of_image() -> dict[str, str]:
    """Every ENV of the Dockerfile, as Docker sets it."""
    return DockerfileParser(path=str(DOCKERFILE)).envs


def exec_form(arguments: str) -> list[str]:
    """A JSON-array instruction argument (CMD ["a", "b"]) as a list; fails for the shell form."""
    command = json.loads(arguments)
    assert isinstance(command, list) and all(isinstance(part, str) for part in command)
    return command


def test_the_image_starts_from_slim_python_311():
    assert DockerfileParser(path=str(DOCKERFILE)).baseimage == "python:3.11-slim"


def test_the_app_runs_as_an_unprivileged_user():
    instructions = dockerfile_instructions()
    users = [index for index, (name, _) in enumerate(instructions) if name == "USER"]
    assert users, "the Dockerfile never leaves root"
    last_user = instructions[users[-1]][1]
    assert last_user not in ("root", "0") and not last_user.startswith("0:")
    # Nothing runs as root after the switch, and the app's command comes after it.
    assert all(name != "USER" for name, _ in instructions[users[-1] + 1 :])
    assert max(index for index, (name, _) in enumerate(instructions) if name == "CMD") > users[-1]
    assert any("useradd" in arguments and last_user in arguments for arguments in arguments_of("RUN"))


def test_the_requirements_it_installs_exist_and_are_copied_in_first():
    installs = [arguments for arguments in arguments_of("RUN") if "pip install" in arguments]
    assert installs == ["pip install -r requirements.txt"]
    assert (ROOT / "requirements.txt").is_file()
    copies = arguments_of("COPY")
    assert copies[0] == "requirements.txt ."  # so a code change does not reinstall TensorFlow


def test_the_model_store_is_a_volume_named_by_cnnlab_model_dir():
    model_dir = environment_of_image()["CNNLAB_MODEL_DIR"]
    volumes = [path for arguments in arguments_of("VOLUME") for path in exec_form(arguments)]
    assert volumes == [model_dir]
    # The folder exists and belongs to the app's user before the volume is declared, or the app could not write.
    user = arguments_of("USER")[-1]
    assert any(model_dir in arguments and "chown" in arguments and user in arguments
               for arguments in arguments_of("RUN"))


def test_the_command_serves_the_app_on_all_interfaces_at_the_exposed_port():
    command = exec_form(arguments_of("CMD")[-1])
    assert command[:3] == ["streamlit", "run", "streamlit_app.py"]
    assert (ROOT / command[2]).is_file()
    assert command[command.index("--server.address") + 1] == "0.0.0.0"
    assert arguments_of("EXPOSE") == [command[command.index("--server.port") + 1]]


class HealthEndpoint(http.server.BaseHTTPRequestHandler):
    healthy = True

    def do_GET(self):  # noqa: N802 - the name http.server calls
        status = 200 if self.path == "/_stcore/health" and self.healthy else 503
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"ok" if status == 200 else b"no")

    def log_message(self, *arguments):
        pass


@pytest.mark.parametrize("healthy", [True, False])
def test_the_health_check_asks_streamlits_health_endpoint(healthy, monkeypatch):
    healthcheck = arguments_of("HEALTHCHECK")[-1]
    options, _, command = healthcheck.partition("CMD ")
    assert "--start-period=" in options  # TensorFlow's first import must not count as unhealthy
    command = exec_form(command)
    assert command[0] == "python" and "http://localhost:8501/_stcore/health" in command[-1]
    monkeypatch.setattr(HealthEndpoint, "healthy", healthy)
    server = http.server.HTTPServer(("127.0.0.1", 0), HealthEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        local = [*command[:-1], command[-1].replace("localhost:8501", f"127.0.0.1:{server.server_port}")]
        finished = subprocess.run([sys.executable, *local[1:]], capture_output=True, timeout=30)
    finally:
        server.shutdown()
    assert (finished.returncode == 0) == healthy


def ignored_by_docker(path: str, patterns: list[str]) -> bool:
    """Whether a .dockerignore pattern leaves `path` (or a folder above it) out of the build context."""
    parts = path.split("/")
    candidates = ["/".join(parts[: count + 1]) for count in range(len(parts))]
    for pattern in patterns:
        for candidate in candidates:
            if fnmatch.fnmatchcase(candidate, pattern) or (
                pattern.startswith("**/") and fnmatch.fnmatchcase(candidate.split("/")[-1], pattern[3:])
            ):
                return True
    return False


def test_dockerignore_keeps_out_history_and_tests_but_not_the_app():
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert not any(pattern.startswith("!") for pattern in patterns)  # the simple matcher above has no exceptions
    for needed in NEEDED_IN_IMAGE:
        assert (ROOT / needed).exists(), needed
        assert not ignored_by_docker(needed, patterns), needed
    for left_out in [".git/config", "tests/test_deploy.py", "cnnlab/app/__pycache__/resources.cpython-311.pyc"]:
        assert ignored_by_docker(left_out, patterns), left_out


def config_values() -> dict[str, object]:
    """{"section.option": value} for every option in .streamlit/config.toml, nested theme sections included."""
    values = {}

    def walk(table: dict, prefix: str) -> None:
        for key, value in table.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}.")
            else:
                values[f"{prefix}{key}"] = value

    walk(tomllib.loads(CONFIG.read_text()), "")
    return values


def test_every_config_option_is_one_streamlit_knows_with_the_right_type():
    from streamlit import config

    known = config.get_config_options()
    for name, value in config_values().items():
        assert name in known, f"{name} is not a Streamlit option"
        option = known[name]
        assert not option.deprecated, f"{name} is deprecated"
        if option.type is not None and option.type is not object:
            assert isinstance(value, option.type), f"{name} should be {option.type.__name__}"


def test_streamlit_reads_the_production_settings_from_the_app_folder():
    # A separate process, so the app's settings do not leak into other tests' AppTest runs.
    names = ["server.maxUploadSize", "browser.gatherUsageStats", "client.toolbarMode", "theme.base"]
    script = ("import json, sys; from streamlit import config; "
              "print(json.dumps({name: config.get_option(name) for name in sys.argv[1:]}))")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("STREAMLIT_")}
    finished = subprocess.run([sys.executable, "-c", script, *names], cwd=ROOT, capture_output=True, text=True,
                              timeout=120, env=environment)
    assert finished.returncode == 0, finished.stderr
    settings = json.loads(finished.stdout.strip().splitlines()[-1])
    assert settings == {"server.maxUploadSize": 100, "browser.gatherUsageStats": False,
                        "client.toolbarMode": "viewer", "theme.base": "light"}


def test_the_start_up_message_names_localhost_without_asking_the_internet():
    # Streamlit looks up the machine's public address for its start-up message only when browser.serverAddress is
    # left at its default; offline, that look-up logs "Did not auto detect external IP".
    script = ("from streamlit import config; "
              "print(config.is_manually_set('browser.serverAddress'), config.get_option('browser.serverAddress'))")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("STREAMLIT_")}
    finished = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                              env=environment)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip().splitlines()[-1] == "True localhost"


# --- compose.yaml: a school's replicas, scheduler and workers ------------------------------------------------------


def compose_services() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]


def test_compose_runs_every_part_from_the_one_image():
    services = compose_services()
    assert {"scheduler", "worker"} <= set(services) and len([name for name in services if name.startswith("app")]) >= 2
    assert {service["build"] for service in services.values()} == {"."}
    assert {service["image"] for service in services.values()} == {"cnnlab"}


def test_compose_points_the_apps_at_the_scheduler_the_workers_use_with_the_settings_the_tests_run():
    services = compose_services()
    scheduler = services["scheduler"]
    port = scheduler["command"][scheduler["command"].index("--port") + 1]
    address = f"tcp://scheduler:{port}"
    assert scheduler["command"][:2] == ["dask", "scheduler"]
    assert services["worker"]["command"][:3] == ["dask", "worker", address]
    assert services["worker"]["command"][services["worker"]["command"].index("--nthreads") + 1] == "1"
    apps = [service for name, service in services.items() if name.startswith("app")]
    assert all(app["environment"]["CNNLAB_SCHEDULER"] == address for app in apps)
    # The embedded cluster's settings, which tests/jobs/test_dask_processes.py also gives its scheduler and worker.
    settings = {**scheduler["environment"], **services["worker"]["environment"]}
    assert settings == settings_as_environment()


def test_the_deployment_guide_starts_the_scheduler_and_workers_with_the_embedded_clusters_settings():
    guide = (ROOT / "docs" / "DEPLOY.md").read_text()
    for variable, value in settings_as_environment().items():
        assert f"{variable}={value}" in guide or f"{variable}='{value}'" in guide, variable


def test_compose_shares_one_model_volume_where_the_image_keeps_its_models():
    services = compose_services()
    model_folder = environment_of_image()["CNNLAB_MODEL_DIR"]
    apps = [service for name, service in services.items() if name.startswith("app")]
    assert all(app["volumes"] == [f"models:{model_folder}"] for app in apps)
    assert environment_of_image()["PYTHONPATH"] == "/app"  # `dask worker` imports the training code from there
