"""The lake's Spark standalone cluster (issue: scale-out): `eduhouse cluster up | status | down`."""
