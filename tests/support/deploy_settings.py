"""The settings docs/DEPLOY.md gives a school's Dask scheduler and workers, as environment variables: the
scale-out test starts its own scheduler and worker with them, and the deployment test checks that compose.yaml
gives them too."""

DEPLOY_ENVIRONMENT = {
    "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0",
    "DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON": '{"MALLOC_TRIM_THRESHOLD_": 65536}',
}
