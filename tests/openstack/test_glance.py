"""glance_store/_drivers/rbd.py: add, get, delete of an image store."""

import math

import pytest
import rbd

from conftest import on_cluster, upstream

CHUNK = 1 << 20
SNAP = "snap"  # glance's snapshot name


def pattern(i):
    return bytes([(i * 7 + j) % 251 for j in range(256)]) * (CHUNK // 256)


def glance_add(cluster, ioctx, name, chunks):
    # Store.add: order from the chunk size, the features the config asks
    # for (layering when unset), then chunked writes, resizing as it grows.
    order = int(math.log(CHUNK, 2))
    features = cluster.conf_get("rbd_default_features")
    if not features or int(features) == 0:
        features = rbd.RBD_FEATURE_LAYERING
    rbd.RBD().create(ioctx, name, 0, order, old_format=False, features=int(features))
    with rbd.Image(ioctx, name) as image:
        for i in range(chunks):
            offset = i * CHUNK
            image.resize(offset + CHUNK)
            assert image.write(pattern(i), offset) == CHUNK
        image.create_snap(SNAP)
        image.protect_snap(SNAP)


def test_add_read_back_and_delete(cluster, ioctx, name):
    glance_add(cluster, ioctx, name, 3)
    # Store.get: read the snapshot in chunks.
    with rbd.Image(ioctx, name, snapshot=SNAP) as image:
        info = image.stat()
        assert info["size"] == 3 * CHUNK
        assert info["order"] == 20
        for i in range(3):
            assert image.read(i * CHUNK, CHUNK) == pattern(i)
    if on_cluster():
        info = upstream("rbd", "info", f"rbd/{name}")
        assert info["size"] == 3 * CHUNK and info["order"] == 20
        snaps = upstream("rbd", "snap", "ls", f"rbd/{name}")
        assert [s["name"] for s in snaps] == [SNAP]
        assert upstream("rbd", "info", f"rbd/{name}@{SNAP}")["protected"] == "true"
        # Upstream's rados sees the image's objects under rbd's names.
        objects = upstream("rados", "-p", "rbd", "ls", json_out=False).split()
        image_id = upstream("rbd", "info", f"rbd/{name}")["id"]
        assert f"rbd_id.{name}" in objects and f"rbd_header.{image_id}" in objects
        assert f"rbd_data.{image_id}.0000000000000002" in objects
    # Store.delete: unprotect, remove the snapshot, remove the image.
    with rbd.Image(ioctx, name) as image:
        if image.is_protected_snap(SNAP):
            image.unprotect_snap(SNAP)
        image.remove_snap(SNAP)
    rbd.RBD().remove(ioctx, name)
    assert name not in rbd.RBD().list(ioctx)


def test_delete_refused_while_clones_exist(cluster, ioctx, name):
    glance_add(cluster, ioctx, name, 1)
    child = name + "-vm"
    rbd.RBD().clone(ioctx, name, SNAP, ioctx, child, features=rbd.RBD_FEATURE_LAYERING)
    # Store.delete maps ImageBusy on unprotect to "in use", and
    # ImageHasSnapshots on remove to the same.
    with rbd.Image(ioctx, name) as image:
        with pytest.raises(rbd.ImageBusy):
            image.unprotect_snap(SNAP)
    with pytest.raises(rbd.ImageHasSnapshots):
        rbd.RBD().remove(ioctx, name)
    with rbd.Image(ioctx, name) as image:
        assert image.is_protected_snap(SNAP)
        assert [c for c in image.list_children()] == [("rbd", child)]
    if on_cluster():
        children = upstream("rbd", "children", f"rbd/{name}@{SNAP}")
        assert [c["image"] for c in children] == [child]
    rbd.RBD().remove(ioctx, child)
    with rbd.Image(ioctx, name) as image:
        image.unprotect_snap(SNAP)
        image.remove_snap(SNAP)
    rbd.RBD().remove(ioctx, name)
