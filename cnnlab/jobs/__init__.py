"""Trainings as jobs: queued on a Dask cluster, run in worker processes, kept in a model store on disk.

- `cluster`: connects to a Dask scheduler ($CNNLAB_SCHEDULER) or starts the embedded local cluster.
- `task`: what a worker runs for one training, and how it reports progress back.
- `job`: one requested training, how far it got, and how a worker's news moves it on.
- `pace`: how long trainings take on these workers.
- `training_queue`, `turns`: the unfinished trainings and the order they start in; `budget`: how long one may take.
- `model_cache`, `recall`: finished models kept in memory, and read back from the store when they are not.
- `registry`: every job in memory, and the one lock they change under.
- `cluster_link`: sends jobs to the workers and reads how they ended; `watchdog`: stops silent or overrunning ones.
- `service`: the app's view of all jobs: shared by settings and data, queued, followed, cancelled.
- `store`, `model_file`: finished models on disk, one zip file each, written atomically.
- `files`: writing a file whole (models, the class board, the pace, the cluster's address), never half of it.
- `reference`: puts the reference model that ships with CNN Lab into an empty store.

Nothing here imports Streamlit; `cnnlab.app.resources` holds the one service a server process shares.
"""
