"""Connecting to Ray: a cluster at an address, or one started on this machine for the run.

A local Ray gets the cores asked for, a small object store (the rows it carries are drawing images of a few
hundred kilobytes) and no dashboard, and is shut down at the end. On a cluster every worker runs this process's
``patimg`` (sent along as a runtime-environment module), so the figures read there are the ones this version
reads here; the rest of PatImg's dependencies must be installed on the nodes (``pip install "patimg[ray]"``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from patimg.errors import BadInputError

#: Object store of a Ray started here: a window of drawing images in flight, not a data set.
LOCAL_OBJECT_STORE_BYTES = 400 * 2**20
#: Seconds to wait for a cluster's address to answer before saying that none does (Ray itself retries for minutes).
CONNECT_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class RayCluster:
    """What the cluster has to offer.

    Attributes:
        cpus: CPUs, all nodes together.
        gpus: GPUs, all nodes together (0 where there are none).
    """

    cpus: int
    gpus: int


def _import_ray():
    try:
        import ray
    except ImportError:
        raise BadInputError(
            "--engine ray", 'Ray is not installed here: pip install "patimg[ray]" (or ray[data])'
        ) from None
    return ray


def check_address_answers(address: str) -> None:
    """Raise :class:`BadInputError` naming ``address`` when nothing listens there.

    ``ray.init`` would retry a dead address for minutes, printing C++ warnings, before it fails; a plain TCP
    connection says at once. ``auto`` (the cluster this machine belongs to) is left to Ray, which fails fast.
    """
    if address == "auto":
        return
    host_port = address.removeprefix("ray://")
    host, _, port = host_port.rpartition(":")
    if not host or not port.isdigit():
        raise BadInputError(
            address, "not a Ray address; give HOST:PORT (as `ray start --head` prints), or auto"
        )
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_SECONDS):
            pass
    except OSError as error:
        raise BadInputError(
            address,
            f"no Ray cluster answers there ({error.strerror or error}); start one with `ray start --head` "
            "and give the address it prints",
        ) from None


@contextlib.contextmanager
def ray_session(address: str | None, *, cpus: int | None = None) -> Iterator[RayCluster]:
    """Ray, for as long as the ``with`` lasts.

    Args:
        address: A running cluster (``host:port``, ``ray://host:port``, ``auto``); None: ``RAY_ADDRESS``,
            else Ray is started on this machine and shut down again at the end.
        cpus: CPUs a Ray started here may use (default: every core); not used with an address.

    Raises:
        BadInputError: Ray is not installed, or no cluster answers at ``address``.
    """
    ray = _import_ray()
    address = address or os.environ.get("RAY_ADDRESS") or None  # as Ray itself would: said here, and checked
    if ray.is_initialized():  # the caller's own Ray (a notebook, a test): used as it is and left running
        yield _cluster(ray)
        return
    if address:
        check_address_answers(address)
    options = {
        "include_dashboard": False,
        "log_to_driver": False,
        # Ray's warnings (token authentication, deprecations) are for whoever runs the cluster, not for a PatImg
        # user reading one line per failed input.
        "logging_level": logging.ERROR,
        # The workers import the driver's patimg, wherever it comes from (a checkout, site-packages).
        "runtime_env": {
            "py_modules": [str(Path(__file__).resolve().parents[1])],
            "excludes": ["__pycache__"],
        },
    }
    if not address:
        options.update(num_cpus=cpus or os.cpu_count() or 1, object_store_memory=LOCAL_OBJECT_STORE_BYTES)
    try:
        # "local": a Ray of its own even where this machine runs a cluster (`--ray-address auto` joins that one).
        ray.init(address=address or "local", **options)
    except (ConnectionError, RuntimeError, ValueError) as error:
        if not address:
            raise BadInputError("local Ray", f"Ray did not start: {error}") from None
        problem = f"Ray did not connect: {error}"
        if not os.environ.get("RAY_AUTH_MODE"):
            # Ray sends this machine's token only to a cluster it found itself, never to a given address.
            problem += (
                "; a cluster with token authentication (what `ray start` sets up) also needs RAY_AUTH_MODE=token "
                "and its token here (~/.ray/auth_token, or RAY_AUTH_TOKEN)"
            )
        raise BadInputError(address, problem) from None
    try:
        _quiet_ray_data()
        yield _cluster(ray)
    finally:
        ray.shutdown()


def _cluster(ray) -> RayCluster:
    resources = ray.cluster_resources()
    return RayCluster(cpus=max(1, int(resources.get("CPU", 1))), gpus=int(resources.get("GPU", 0)))


def _quiet_ray_data() -> None:
    """No Ray Data progress bars or per-run log lines on the terminal: PatImg draws its own progress."""
    import ray.data

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # else it warns that its progress bars are off
