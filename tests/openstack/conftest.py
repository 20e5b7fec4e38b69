"""OpenStack's RBD flows through Debian's python3-rbd and python3-rados.

The backend comes from the environment (tests/openstack/run.sh sets it):
  RBDRS_OPENSTACK_STORE=DIR     the embedded store in DIR, or
  RBDRS_OPENSTACK_CONF=FILE     the cluster FILE describes (pool `rbd`).
RBDRS_OPENSTACK_LIBRARY=librbdrs (the default) fails the run unless the
process really loaded librbdrs; =upstream checks the suite against
Debian's librbd instead.
"""

import json
import os
import subprocess
import uuid

import pytest
import rados
import rbd

POOL = "rbd"


def backend():
    store = os.environ.get("RBDRS_OPENSTACK_STORE")
    conf = os.environ.get("RBDRS_OPENSTACK_CONF")
    if bool(store) == bool(conf):
        raise RuntimeError("set exactly one of RBDRS_OPENSTACK_STORE and RBDRS_OPENSTACK_CONF")
    return ("embedded", store) if store else ("cluster", conf)


def mapped_libraries():
    with open("/proc/self/maps") as maps:
        return {line.split()[-1] for line in maps if "/" in line.split()[-1]}


@pytest.fixture(scope="session", autouse=True)
def the_right_library():
    """The modules are bound to the library under test, not just importable."""
    expect = os.environ.get("RBDRS_OPENSTACK_LIBRARY", "librbdrs")
    libs = {os.path.realpath(p) for p in mapped_libraries()}
    ours = [p for p in libs if os.path.basename(p) == "librbdrs.so"]
    ceph_cxx = [p for p in libs if "libceph-common" in p or os.path.basename(p).startswith(("librbd.so", "librados.so"))]
    if expect == "librbdrs":
        assert ours, f"librbdrs.so is not loaded: {sorted(libs)}"
        assert not ceph_cxx, f"a Ceph C++ library is loaded: {ceph_cxx}"
    else:
        assert not ours and ceph_cxx, f"expected upstream librbd: {sorted(libs)}"


def connect():
    kind, where = backend()
    if kind == "embedded":
        # No conffile: /etc/ceph and CEPH_CONF must not point us at a cluster.
        cluster = rados.Rados(conffile=None)
        cluster.conf_set("rbdrs_local_store", where)
    else:
        cluster = rados.Rados(conffile=where)
    cluster.connect(timeout=30)
    return cluster


@pytest.fixture
def cluster():
    conn = connect()
    yield conn
    conn.shutdown()


@pytest.fixture
def ioctx(cluster):
    io = cluster.open_ioctx(POOL)
    yield io
    io.close()


@pytest.fixture
def name():
    """A fresh image name per test, so runs on one cluster don't collide."""
    return "os-" + uuid.uuid4().hex[:12]


def upstream(*args, json_out=True):
    """Runs Debian's own rbd/rados tool on the cluster (not the embedded
    store, which only librbdrs reads) and returns its parsed JSON."""
    kind, conf = backend()
    if kind != "cluster":
        return None
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    cmd = [args[0], "-c", conf, *args[1:]] + (["--format", "json"] if json_out else [])
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"{cmd}: {out.stderr}"
    return json.loads(out.stdout) if json_out else out.stdout


def on_cluster():
    return backend()[0] == "cluster"
