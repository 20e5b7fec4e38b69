"""cinder/volume/drivers/rbd.py: capacity, clones, flatten, resize,
snapshots, deferred deletion (trash) and copies."""

import json

import pytest
import rbd

from conftest import POOL, on_cluster, upstream

GIB = 1 << 30
MAX_CLONE_DEPTH = 2  # cinder's rbd_max_clone_depth is 5; 2 keeps it short
FEATURES = rbd.RBD_FEATURE_LAYERING | rbd.RBD_FEATURE_EXCLUSIVE_LOCK


def test_capacity_from_cluster_stats_and_df(cluster):
    # _get_pool_stats: the monitor's df for the pool, get_cluster_stats
    # for the cluster. The test cluster has no manager daemon, so the
    # monitor reports zeros there; what matters is agreeing with it.
    stats = cluster.get_cluster_stats()
    assert stats["kb_used"] <= stats["kb"] and stats["kb_avail"] <= stats["kb"]
    ret, out, status = cluster.mon_command(json.dumps({"prefix": "df", "format": "json"}), b"")
    assert ret == 0, status
    df = json.loads(out)
    if on_cluster():
        # Without a manager the monitor lists no pools; same answer as
        # Debian's own `ceph df`.
        assert df == upstream("ceph", "df")
        assert stats["kb"] * 1024 == df["stats"]["total_bytes"]
    else:
        assert stats["kb"] > 0 and df["stats"]["total_bytes"] == stats["kb"] * 1024
        pool = [p for p in df["pools"] if p["name"] == POOL][0]
        assert "max_avail" in pool["stats"] and "bytes_used" in pool["stats"]


def clone_depth(ioctx, name):
    # _get_clone_depth: walk parent_info to the root.
    depth = 0
    while True:
        with rbd.Image(ioctx, name, read_only=True) as image:
            try:
                _, name, _ = image.parent_info()
            except rbd.ImageNotFound:
                return depth
        depth += 1


def create_cloned_volume(ioctx, src, dest):
    # create_cloned_volume: snapshot the source, protect, clone; flatten
    # the clone when the chain gets too deep, then drop the snapshot.
    snap = dest + ".clone_snap"
    with rbd.Image(ioctx, src) as source:
        source.create_snap(snap)
        source.protect_snap(snap)
    rbd.RBD().clone(ioctx, src, snap, ioctx, dest, features=FEATURES)
    if clone_depth(ioctx, dest) > MAX_CLONE_DEPTH:
        with rbd.Image(ioctx, dest) as clone:
            clone.flatten()
        with rbd.Image(ioctx, src) as source:
            source.unprotect_snap(snap)
            source.remove_snap(snap)


def test_clone_chain_is_flattened_past_max_depth(ioctx, name):
    rbd.RBD().create(ioctx, name, GIB // 64, old_format=False, features=FEATURES)
    with rbd.Image(ioctx, name) as image:
        image.write(b"cinder" * 1000, 4096)
    chain = [name]
    for i in range(MAX_CLONE_DEPTH + 1):
        chain.append(f"{name}-c{i}")
        create_cloned_volume(ioctx, chain[-2], chain[-1])
    assert [clone_depth(ioctx, v) for v in chain] == [0, 1, 2, 0]
    with rbd.Image(ioctx, chain[-1]) as last:
        assert last.read(4096, 6000) == b"cinder" * 1000
        with pytest.raises(rbd.ImageNotFound):
            last.parent_info()
    if on_cluster():
        assert "parent" not in upstream("rbd", "info", f"rbd/{chain[-1]}")
        assert upstream("rbd", "info", f"rbd/{chain[1]}")["parent"]["image"] == name
    for volume in reversed(chain):
        delete_volume(ioctx, volume)
    assert not set(chain) & set(rbd.RBD().list(ioctx))


def delete_volume(ioctx, volume):
    # delete_volume: drop our clone snapshots; an image that still has
    # clones goes to the trash instead (deferred deletion).
    with rbd.Image(ioctx, volume) as image:
        for snap in image.list_snaps():
            try:
                image.unprotect_snap(snap["name"])
                image.remove_snap(snap["name"])
            except rbd.ImageBusy:
                pass
    try:
        rbd.RBD().remove(ioctx, volume)
    except (rbd.ImageHasSnapshots, rbd.ImageBusy):
        rbd.RBD().trash_move(ioctx, volume, 0)


def test_extend_snapshots_and_deferred_deletion(ioctx, name):
    rbd.RBD().create(ioctx, name, GIB // 128, old_format=False, features=FEATURES)
    with rbd.Image(ioctx, name) as image:
        image.resize(GIB // 32)  # extend_volume
        assert image.size() == GIB // 32
        image.write(b"x" * 512, GIB // 32 - 512)
        for snap in ("s1", "s2"):
            image.create_snap(snap)  # create_snapshot
        image.protect_snap("s2")
        assert [s["name"] for s in image.list_snaps()] == ["s1", "s2"]
        image.remove_snap("s1")  # delete_snapshot
        assert [s["name"] for s in image.list_snaps()] == ["s2"]
    rbd.RBD().clone(ioctx, name, "s2", ioctx, name + "-child", features=FEATURES)
    if on_cluster():
        assert upstream("rbd", "info", f"rbd/{name}")["size"] == GIB // 32
    # The source has a clone: delete_volume moves it to the trash.
    delete_volume(ioctx, name)
    assert name not in rbd.RBD().list(ioctx)
    entries = [e for e in rbd.RBD().trash_list(ioctx) if e["name"] == name]
    assert len(entries) == 1
    image_id = entries[0]["id"]
    if on_cluster():
        assert [e["name"] for e in upstream("rbd", "trash", "ls", "rbd") if e["id"] == image_id] == [name]
    # The clone still reads through its trashed parent.
    with rbd.Image(ioctx, name + "-child") as child:
        assert child.read(GIB // 32 - 512, 512) == b"x" * 512
        child.flatten()
    rbd.RBD().remove(ioctx, name + "-child")
    # Nothing depends on it now: the trash entry can be purged.
    with rbd.Image(ioctx, image_id=image_id) as trashed:
        trashed.unprotect_snap("s2")
        trashed.remove_snap("s2")
    rbd.RBD().trash_remove(ioctx, image_id)
    assert not [e for e in rbd.RBD().trash_list(ioctx) if e["id"] == image_id]


def test_copy(ioctx, name):
    rbd.RBD().create(ioctx, name, 8 << 20, old_format=False, features=FEATURES)
    with rbd.Image(ioctx, name) as image:
        image.write(b"\x5a" * 8192, 1 << 20)
        image.copy(ioctx, name + "-copy")
    with rbd.Image(ioctx, name + "-copy") as copy:
        assert copy.size() == 8 << 20
        assert copy.read(1 << 20, 8192) == b"\x5a" * 8192
        assert copy.read(0, 4096) == b"\0" * 4096
    if on_cluster():
        assert upstream("rbd", "info", f"rbd/{name}-copy")["size"] == 8 << 20
    for volume in (name, name + "-copy"):
        rbd.RBD().remove(ioctx, volume)
