"""nova/storage/rbd_utils.py: an instance disk cloned from a Glance image,
then flattened, resized, inspected and removed."""

import pytest
import rbd

from conftest import on_cluster, upstream

SNAP = "snap"


def exists(ioctx, name):
    # RBDDriver.exists: open read-only, ImageNotFound means no.
    try:
        with rbd.Image(ioctx, name, read_only=True):
            return True
    except rbd.ImageNotFound:
        return False


def test_instance_disk_lifecycle(cluster, ioctx, name):
    base = name + "-glance"
    rbd.RBD().create(ioctx, base, 4 << 20, old_format=False, features=rbd.RBD_FEATURE_LAYERING)
    with rbd.Image(ioctx, base) as image:
        image.write(b"boot" * 128, 0)
        image.create_snap(SNAP)
        image.protect_snap(SNAP)
    disk = name + "_disk"
    assert not exists(ioctx, disk)
    # RBDDriver.clone
    rbd.RBD().clone(ioctx, base, SNAP, ioctx, disk, features=rbd.RBD_FEATURE_LAYERING)
    assert exists(ioctx, disk)
    with rbd.Image(ioctx, disk) as vol:
        assert vol.parent_info() == ("rbd", base, SNAP)  # RBDDriver.parent_info
        vol.resize(16 << 20)  # RBDDriver.resize
        assert vol.size() == 16 << 20  # RBDDriver.size
        vol.flatten()  # RBDDriver.flatten
        with pytest.raises(rbd.ImageNotFound):
            vol.parent_info()
        assert vol.read(0, 512) == b"boot" * 128
    # RBDDriver.get_pool_info
    stats = cluster.get_cluster_stats()
    assert stats["kb_used"] <= stats["kb"] and stats["kb_avail"] <= stats["kb"]
    if on_cluster():
        info = upstream("rbd", "info", f"rbd/{disk}")
        assert info["size"] == 16 << 20 and "parent" not in info
        assert cluster.get_fsid() == upstream("ceph", "fsid")["fsid"]
    # RBDDriver.cleanup_volumes / remove_image
    rbd.RBD().remove(ioctx, disk)
    assert not exists(ioctx, disk)
    with rbd.Image(ioctx, base) as image:
        image.unprotect_snap(SNAP)
        image.remove_snap(SNAP)
    rbd.RBD().remove(ioctx, base)
    assert base not in rbd.RBD().list(ioctx)
