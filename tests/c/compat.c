/*
 * What librbd and librados answer, call by call, as a program sees it.
 * The same binary runs against upstream's libraries and against librbdrs
 * (LD_LIBRARY_PATH at the drop-in folder): every check must hold for both,
 * so the expectations are librbd's, not ours.
 *
 *   compat CEPH_CONF_PATH     (a cluster whose client.admin key is in the
 *                              conf's keyring; pool "rbd" exists)
 *   compat --local STORE_DIR  (librbdrs's embedded store: the checks that
 *                              need no cluster)
 *
 * Prints one line per check and exits 1 if any failed.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* rbd_list and rbd_get_parent_info are deprecated, and still widely called. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <rados/librados.h>
#include <rbd/librbd.h>

static int failures;
static const char *conf;
static const char *local_store;

static void expect(const char *what, long long got, long long want)
{
    if (got == want) {
        printf("ok    %s = %lld\n", what, got);
    } else {
        printf("FAIL  %s = %lld, librbd gives %lld\n", what, got, want);
        failures++;
    }
}

static void must(int r, const char *what)
{
    if (r < 0) {
        fprintf(stderr, "compat: %s failed: %s (%d)\n", what, strerror(-r), r);
        exit(2);
    }
}

/* A handle for client.admin on the cluster, with extra options. */
static int connect_with(rados_t *cluster, const char *key, const char *keyring)
{
    must(rados_create(cluster, "admin"), "rados_create");
    if (local_store) {
        must(rados_conf_set(*cluster, "rbdrs_local_store", local_store), "rbdrs_local_store");
        return rados_connect(*cluster);
    }
    must(rados_conf_read_file(*cluster, conf), "rados_conf_read_file");
    must(rados_conf_set(*cluster, "client_mount_timeout", "20"), "client_mount_timeout");
    if (key)
        must(rados_conf_set(*cluster, "key", key), "set key");
    if (keyring)
        must(rados_conf_set(*cluster, "keyring", keyring), "set keyring");
    return rados_connect(*cluster);
}

static void check_connect_errors(void)
{
    rados_t cluster;
    /* A well-formed key that is not the client's. */
    int r = connect_with(&cluster, "AQBn6nRl0hXcIRAAOjVxbjBj8cRjsO8p1bKOHw==", NULL);
    expect("rados_connect with a wrong cephx key", r, -EACCES);
    rados_shutdown(cluster);

    r = connect_with(&cluster, NULL, "/nonexistent/keyring");
    expect("rados_connect with no keyring found", r, -ENOENT);
    rados_shutdown(cluster);
}

static void check_new_pool(rados_t cluster)
{
    char cmd[256];
    char pool[64];
    rados_ioctx_t io;
    snprintf(pool, sizeof pool, "compat-%d", (int)getpid());
    /* Another client creates the pool after this one connected. */
    snprintf(cmd, sizeof cmd,
             "env -u LD_LIBRARY_PATH ceph --conf '%s' osd pool create %s 8 >/dev/null 2>&1", conf, pool);
    if (system(cmd) != 0) {
        fprintf(stderr, "compat: %s failed\n", cmd);
        exit(2);
    }
    int r = rados_ioctx_create(cluster, pool, &io);
    expect("rados_ioctx_create on a pool created after connect", r, 0);
    if (r == 0)
        rados_ioctx_destroy(io);
    expect("rados_pool_lookup of that pool > 0", rados_pool_lookup(cluster, pool) >= 0, 1);
    expect("rados_wait_for_latest_osdmap", rados_wait_for_latest_osdmap(cluster), 0);
    snprintf(cmd, sizeof cmd,
             "env -u LD_LIBRARY_PATH ceph --conf '%s' osd pool rm %s %s --yes-i-really-really-mean-it >/dev/null 2>&1",
             conf, pool, pool);
    if (system(cmd) != 0)
        fprintf(stderr, "compat: could not remove pool %s\n", pool);
}

static ssize_t aio_result(rbd_completion_t c)
{
    rbd_aio_wait_for_complete(c);
    ssize_t r = rbd_aio_get_return_value(c);
    rbd_aio_release(c);
    return r;
}

static rbd_completion_t completion(void)
{
    rbd_completion_t c;
    must(rbd_aio_create_completion(NULL, NULL, &c), "rbd_aio_create_completion");
    return c;
}

static int aio_rados_result(rados_completion_t c)
{
    rados_aio_wait_for_complete(c);
    int r = rados_aio_get_return_value(c);
    rados_aio_release(c);
    return r;
}

static rados_completion_t rados_completion(void)
{
    rados_completion_t c;
    must(rados_aio_create_completion2(NULL, NULL, &c), "rados_aio_create_completion2");
    return c;
}

static void check_image_calls(rados_ioctx_t io)
{
    char name[64];
    char buf[4096];
    char cmp[4096];
    rbd_image_t image;
    rbd_completion_t c;
    uint64_t mismatch = 0;
    int order = 22;

    snprintf(name, sizeof name, "compat-%d", (int)getpid());
    must(rbd_create2(io, name, 8 << 20, RBD_FEATURE_LAYERING, &order), "rbd_create2");
    must(rbd_open(io, name, &image, NULL), "rbd_open");
    memset(buf, 0xab, sizeof buf);

    /* What aio writes complete with. */
    c = completion();
    expect("rbd_aio_write returns", rbd_aio_write(image, 512, 512, buf, c), 0);
    expect("rbd_aio_get_return_value after rbd_aio_write", aio_result(c), 0);
    struct iovec iov[2] = {{buf, 1024}, {buf + 1024, 1024}};
    c = completion();
    must(rbd_aio_writev(image, iov, 2, 1 << 20, c), "rbd_aio_writev");
    expect("rbd_aio_get_return_value after rbd_aio_writev", aio_result(c), 0);
    c = completion();
    must(rbd_aio_discard(image, 1 << 20, 4096, c), "rbd_aio_discard");
    expect("rbd_aio_get_return_value after rbd_aio_discard", aio_result(c), 0);
    c = completion();
    must(rbd_aio_write_zeroes(image, 1 << 20, 4096, c, 0, 0), "rbd_aio_write_zeroes");
    expect("rbd_aio_get_return_value after rbd_aio_write_zeroes", aio_result(c), 0);
    c = completion();
    must(rbd_aio_writesame(image, 1 << 20, 4096, buf, 512, c, 0), "rbd_aio_writesame");
    expect("rbd_aio_get_return_value after rbd_aio_writesame", aio_result(c), 0);
    c = completion();
    must(rbd_aio_flush(image, c), "rbd_aio_flush");
    expect("rbd_aio_get_return_value after rbd_aio_flush", aio_result(c), 0);
    expect("rbd_discard returns the length", rbd_discard(image, 1 << 20, 4096), 4096);
    expect("rbd_write_zeroes returns the length", rbd_write_zeroes(image, 1 << 20, 4096, 0, 0), 4096);
    expect("rbd_writesame returns the length", rbd_writesame(image, 1 << 20, 4096, buf, 512, 0), 4096);
    c = completion();
    must(rbd_aio_read(image, 512, 512, buf, c), "rbd_aio_read");
    expect("rbd_aio_get_return_value after rbd_aio_read", aio_result(c), 512);
    expect("rbd_write returns the length", rbd_write(image, 0, 4096, buf), 4096);
    expect("rbd_read returns the length", rbd_read(image, 0, 4096, cmp), 4096);

    /* Bad vectors. */
    c = completion();
    expect("rbd_aio_writev with 0 iovecs", rbd_aio_writev(image, iov, 0, 0, c), -EINVAL);
    rbd_aio_release(c);
    c = completion();
    expect("rbd_aio_readv with 0 iovecs", rbd_aio_readv(image, iov, 0, 0, c), -EINVAL);
    rbd_aio_release(c);

    /* compare-and-write: the mismatch offset counts from the request. */
    memcpy(cmp, buf, sizeof cmp);
    cmp[5] ^= 1;
    expect("rbd_compare_and_write mismatch", rbd_compare_and_write(image, 0, 512, cmp, buf, &mismatch, 0), -EILSEQ);
    expect("  its mismatch offset", (long long)mismatch, 5);
    mismatch = 0;
    cmp[5] ^= 1;
    cmp[517] ^= 1;
    expect("rbd_compare_and_write mismatch at 512+5",
           rbd_compare_and_write(image, 512, 512, cmp + 512, buf, &mismatch, 0), -EILSEQ);
    expect("  its mismatch offset", (long long)mismatch, 5);
    c = completion();
    mismatch = 0;
    must(rbd_aio_compare_and_write(image, 512, 512, cmp + 512, buf, c, &mismatch, 0), "rbd_aio_compare_and_write");
    expect("rbd_aio_compare_and_write mismatch", aio_result(c), -EILSEQ);
    expect("  its mismatch offset", (long long)mismatch, 5);
    c = completion();
    must(rbd_aio_compare_and_write(image, 0, 512, buf, buf, c, &mismatch, 0), "rbd_aio_compare_and_write");
    expect("rbd_aio_get_return_value after a matching rbd_aio_compare_and_write", aio_result(c), 0);
    expect("rbd_compare_and_write that matches returns the length",
           rbd_compare_and_write(image, 0, 512, buf, buf, &mismatch, 0), 512);

    /* Snapshot management is not IO: a handle reading a snapshot may do it. */
    must(rbd_snap_create(image, "s1"), "rbd_snap_create s1");
    must(rbd_snap_create(image, "s2"), "rbd_snap_create s2");
    must(rbd_snap_set(image, "s1"), "rbd_snap_set");
    expect("rbd_snap_protect while rbd_snap_set at a snapshot", rbd_snap_protect(image, "s2"), 0);
    expect("rbd_snap_unprotect while rbd_snap_set at a snapshot", rbd_snap_unprotect(image, "s2"), 0);
    expect("rbd_snap_remove while rbd_snap_set at a snapshot", rbd_snap_remove(image, "s2"), 0);
    expect("rbd_snap_rollback while rbd_snap_set at a snapshot", rbd_snap_rollback(image, "s1"), -EROFS);
    expect("rbd_resize while rbd_snap_set at a snapshot", rbd_resize(image, 8 << 20), -EROFS);
    expect("rbd_flatten (no parent) while rbd_snap_set at a snapshot", rbd_flatten(image), -EINVAL);
    expect("rbd_write while rbd_snap_set at a snapshot", rbd_write(image, 0, 512, buf), -EROFS);
    expect("rbd_snap_remove of the snapshot being read", rbd_snap_remove(image, "s1"), 0);
    expect("rbd_read of a removed snapshot", rbd_read(image, 0, 512, buf), -ENOENT);
    must(rbd_snap_set(image, NULL), "rbd_snap_set NULL");

    /* Image options. */
    rbd_image_options_t opts;
    bool is_set = true;
    rbd_image_options_create(&opts);
    expect("rbd_image_options_is_set of an unknown option", rbd_image_options_is_set(opts, 9999, &is_set), -EINVAL);
    expect("rbd_image_options_is_set of an unset option", rbd_image_options_is_set(opts, RBD_IMAGE_OPTION_ORDER, &is_set), 0);
    expect("  is_set", is_set, 0);
    rbd_image_options_destroy(opts);

    /* Encryption with bad options. */
    expect("rbd_encryption_format with NULL options",
           rbd_encryption_format(image, RBD_ENCRYPTION_FORMAT_LUKS1, NULL, 0), -EINVAL);
    expect("rbd_encryption_load with NULL options", rbd_encryption_load(image, RBD_ENCRYPTION_FORMAT_LUKS1, NULL, 0),
           -EINVAL);

    must(rbd_close(image), "rbd_close");
    must(rbd_remove(io, name), "rbd_remove");
}

/* Errors of everyday calls: what a program checks for. */
static void check_errors(rados_t cluster, rados_ioctx_t io)
{
    char name[64];
    char other[64];
    char buf[8192];
    char names[4];
    size_t size;
    rbd_image_t image;
    rbd_image_t ro;
    rados_ioctx_t nowhere;
    rbd_image_info_t info;
    rbd_snap_info_t snaps[1];
    int max_snaps = 1;
    int order = 22;
    uint64_t overlap = 7;

    snprintf(name, sizeof name, "compat-err-%d", (int)getpid());
    snprintf(other, sizeof other, "compat-other-%d", (int)getpid());
    memset(buf, 0x11, sizeof buf);
    expect("rados_ioctx_create of a missing pool", rados_ioctx_create(cluster, "no-such-pool", &nowhere), -ENOENT);
    expect("rados_pool_lookup of a missing pool", rados_pool_lookup(cluster, "no-such-pool"), -ENOENT);
    expect("rbd_open of a missing image", rbd_open(io, name, &image, NULL), -ENOENT);
    expect("rbd_remove of a missing image", rbd_remove(io, name), -ENOENT);
    must(rbd_create2(io, name, 1 << 20, RBD_FEATURE_LAYERING, &order), "rbd_create2");
    expect("rbd_create2 of an existing name", rbd_create2(io, name, 1 << 20, RBD_FEATURE_LAYERING, &order), -EEXIST);
    must(rbd_create2(io, other, 1 << 20, RBD_FEATURE_LAYERING, &order), "rbd_create2 other");
    expect("rbd_rename onto an existing name", rbd_rename(io, name, other), -EEXIST);
    expect("rbd_rename of a missing image", rbd_rename(io, "compat-missing", "compat-missing2"), -ENOENT);
    size = 0;
    expect("rbd_list with no room", rbd_list(io, names, &size), -ERANGE);
    expect("  it says how much it needs", size > 0, 1);

    must(rbd_open(io, name, &image, NULL), "rbd_open");
    expect("rbd_write past the end", rbd_write(image, 1 << 20, 512, buf), -EINVAL);
    expect("rbd_write across the end", rbd_write(image, (1 << 20) - 512, 1024, buf), 512);
    expect("rbd_read past the end", rbd_read(image, 1 << 20, 512, buf), -EINVAL);
    expect("rbd_read across the end", rbd_read(image, (1 << 20) - 512, 1024, buf), 512);
    expect("rbd_discard past the end", rbd_discard(image, 2 << 20, 512), -EINVAL);
    /* librbd ignores a short infosize and writes the whole struct;
     * librbdrs refuses it (-ERANGE) rather than write past the buffer. */
    expect("rbd_stat", rbd_stat(image, &info, sizeof info), 0);
    {
        uint8_t old = 9;
        uint64_t su = 0;
        uint64_t sc = 0;
        char id[64];
        char prefix[64];
        expect("rbd_get_old_format", rbd_get_old_format(image, &old), 0);
        expect("  old", old, 0);
        expect("rbd_get_stripe_unit", rbd_get_stripe_unit(image, &su), 0);
        expect("  the object size without striping", (long long)su, 4 << 20);
        expect("rbd_get_stripe_count", rbd_get_stripe_count(image, &sc), 0);
        expect("  1 without striping", (long long)sc, 1);
        expect("rbd_get_id", rbd_get_id(image, id, sizeof id), 0);
        expect("rbd_get_id with no room", rbd_get_id(image, id, 2), -ERANGE);
        expect("rbd_get_block_name_prefix", rbd_get_block_name_prefix(image, prefix, sizeof prefix), 0);
        expect("  it is rbd_data.<id>", strncmp(prefix, "rbd_data.", 9) == 0 && strcmp(prefix + 9, id) == 0, 1);
        expect("rbd_get_data_pool_id is the pool's", rbd_get_data_pool_id(image), rados_ioctx_get_id(io));
    }
    expect("  its parent pool without a parent", info.parent_pool, -1);
    expect("rbd_get_overlap without a parent", rbd_get_overlap(image, &overlap), 0);
    expect("  the overlap", (long long)overlap, 0);
    expect("rbd_get_parent_info without a parent", rbd_get_parent_info(image, NULL, 0, NULL, 0, NULL, 0), -ENOENT);
    expect("rbd_flatten without a parent", rbd_flatten(image), -EINVAL);
    expect("rbd_snap_remove of a missing snapshot", rbd_snap_remove(image, "none"), -ENOENT);
    expect("rbd_snap_set to a missing snapshot", rbd_snap_set(image, "none"), -ENOENT);
    expect("rbd_snap_protect of a missing snapshot", rbd_snap_protect(image, "none"), -ENOENT);
    must(rbd_snap_create(image, "s"), "rbd_snap_create");
    expect("rbd_snap_create of an existing name", rbd_snap_create(image, "s"), -EEXIST);
    expect("rbd_snap_unprotect of an unprotected snapshot", rbd_snap_unprotect(image, "s"), -EINVAL);
    expect("rbd_snap_protect", rbd_snap_protect(image, "s"), 0);
    expect("rbd_snap_protect again", rbd_snap_protect(image, "s"), -EBUSY);
    expect("rbd_snap_remove of a protected snapshot", rbd_snap_remove(image, "s"), -EBUSY);
    max_snaps = 1;
    expect("rbd_snap_list with room for no terminator", rbd_snap_list(image, snaps, &max_snaps), -ERANGE);
    expect("  it asks for", max_snaps, 2);
    expect("rbd_remove of an image with snapshots", rbd_remove(io, name), -ENOTEMPTY);
    expect("rbd_clone of an unprotected snapshot's image name",
           rbd_clone(io, name, "none", io, "compat-child", RBD_FEATURE_LAYERING, &order), -ENOENT);
    must(rbd_open_read_only(io, name, &ro, NULL), "rbd_open_read_only");
    expect("rbd_write on a read-only open", rbd_write(ro, 0, 512, buf), -EROFS);
    expect("rbd_resize on a read-only open", rbd_resize(ro, 2 << 20), -EROFS);
    expect("rbd_snap_create on a read-only open", rbd_snap_create(ro, "t"), -EROFS);
    expect("rbd_flatten on a read-only open", rbd_flatten(ro), -EROFS);
    rbd_close(ro);
    must(rbd_snap_unprotect(image, "s"), "rbd_snap_unprotect");
    must(rbd_snap_remove(image, "s"), "rbd_snap_remove");
    must(rbd_close(image), "rbd_close");
    must(rbd_remove(io, name), "rbd_remove");
    must(rbd_remove(io, other), "rbd_remove other");

    /* Objects. */
    expect("rados_read of a missing object", rados_read(io, "compat-missing", buf, 16, 0), -ENOENT);
    expect("rados_remove of a missing object", rados_remove(io, "compat-missing"), -ENOENT);
    expect("rados_write_full", rados_write_full(io, name, buf, 100), 0);
    expect("rados_read returns the bytes read", rados_read(io, name, buf, sizeof buf, 0), 100);
    expect("rados_read past the end", rados_read(io, name, buf, 16, 1000), 0);
    expect("rados_remove", rados_remove(io, name), 0);
}

/* FUA writes reach the OSDs before they complete, whatever the cache. */
static void check_fua(rados_t cluster, rados_ioctx_t io)
{
    char name[64];
    char buf[4096];
    char back[4096];
    rbd_image_t writer;
    rbd_image_t reader;
    int order = 22;
    (void)cluster;
    snprintf(name, sizeof name, "compat-fua-%d", (int)getpid());
    must(rbd_create2(io, name, 8 << 20, RBD_FEATURE_LAYERING, &order), "rbd_create2");
    must(rbd_open(io, name, &writer, NULL), "rbd_open writer");
    must(rbd_open_read_only(io, name, &reader, NULL), "rbd_open reader");
    memset(buf, 0x5a, sizeof buf);
    expect("rbd_write2 with FADVISE_FUA", rbd_write2(writer, 0, sizeof buf, buf, LIBRADOS_OP_FLAG_FADVISE_FUA),
           sizeof buf);
    memset(back, 0, sizeof back);
    must(rbd_invalidate_cache(reader), "rbd_invalidate_cache");
    rbd_read(reader, 0, sizeof back, back);
    expect("a second handle reads the FUA write at once", memcmp(buf, back, sizeof buf) == 0, 1);
    rbd_close(reader);
    rbd_close(writer);
    must(rbd_remove(io, name), "rbd_remove fua");
}

static int update_calls;

static void on_update(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&update_calls, 1, __ATOMIC_SEQ_CST);
}

/* The exclusive lock as an application drives it, advisory locks,
 * watchers and header-update callbacks. */
static void check_locks(rados_ioctx_t io)
{
    char name[64];
    rbd_image_t image;
    int order = 22, owner = -1, excl = -1;
    rbd_lock_mode_t mode = -1;
    char *owners[4];
    size_t n = 4;

    snprintf(name, sizeof name, "compat-lock-%d", (int)getpid());
    must(rbd_create2(io, name, 8 << 20, RBD_FEATURE_LAYERING | RBD_FEATURE_EXCLUSIVE_LOCK, &order), "rbd_create2");
    must(rbd_open(io, name, &image, NULL), "rbd_open");
    expect("rbd_lock_get_owners with nobody holding it", rbd_lock_get_owners(image, &mode, owners, &n), -ENOENT);
    expect("rbd_lock_acquire shared", rbd_lock_acquire(image, RBD_LOCK_MODE_SHARED), -EOPNOTSUPP);
    expect("rbd_lock_release without the lock", rbd_lock_release(image), -EINVAL);
    expect("rbd_lock_acquire", rbd_lock_acquire(image, RBD_LOCK_MODE_EXCLUSIVE), 0);
    rbd_is_exclusive_lock_owner(image, &owner);
    expect("rbd_is_exclusive_lock_owner after rbd_lock_acquire", owner, 1);
    n = 0;
    expect("rbd_lock_get_owners with no room", rbd_lock_get_owners(image, &mode, owners, &n), -ERANGE);
    expect("  count needed", n, 1);
    n = 4;
    expect("rbd_lock_get_owners", rbd_lock_get_owners(image, &mode, owners, &n), 0);
    expect("  owners", n, 1);
    expect("  mode", mode, RBD_LOCK_MODE_EXCLUSIVE);
    rbd_lock_get_owners_cleanup(owners, n);
    expect("rbd_lock_break naming another owner", rbd_lock_break(image, RBD_LOCK_MODE_EXCLUSIVE, "192.0.2.1:0/1"), -EBUSY);
    expect("rbd_lock_release", rbd_lock_release(image), 0);
    rbd_is_exclusive_lock_owner(image, &owner);
    expect("rbd_is_exclusive_lock_owner after rbd_lock_release", owner, 0);
    rbd_close(image);

    must(rbd_open(io, name, &image, NULL), "rbd_open again");
    char tag[16], clients[64], cookies[64], addrs[128];
    size_t tl = sizeof tag, cl = sizeof clients, kl = sizeof cookies, al = sizeof addrs;
    expect("rbd_list_lockers of an unlocked image", rbd_list_lockers(image, &excl, tag, &tl, clients, &cl, cookies, &kl, addrs, &al), 0);
    expect("rbd_lock_exclusive", rbd_lock_exclusive(image, "c1"), 0);
    expect("rbd_lock_exclusive again", rbd_lock_exclusive(image, "c1"), -EEXIST);
    expect("rbd_lock_shared while locked exclusively", rbd_lock_shared(image, "c2", "t"), -EBUSY);
    tl = sizeof tag, cl = sizeof clients, kl = sizeof cookies, al = sizeof addrs;
    expect("rbd_list_lockers", rbd_list_lockers(image, &excl, tag, &tl, clients, &cl, cookies, &kl, addrs, &al), 1);
    expect("  exclusive", excl, 1);
    expect("  cookies length", kl, 3);
    expect("  tag length", tl, 1);
    expect("  client is client.<n>", strncmp(clients, "client.", 7), 0);
    size_t short_len = 1;
    expect("rbd_list_lockers with a short buffer", rbd_list_lockers(image, &excl, tag, &tl, clients, &short_len, cookies, &kl, addrs, &al), -ERANGE);
    expect("  length needed", short_len, cl);
    expect("rbd_unlock of a cookie not held", rbd_unlock(image, "c9"), -ENOENT);
    expect("rbd_break_lock of a malformed client", rbd_break_lock(image, "nobody", "c1"), -EINVAL);
    expect("rbd_break_lock", rbd_break_lock(image, clients, "c1"), 0);
    expect("rbd_unlock after the break", rbd_unlock(image, "c1"), -ENOENT);
    expect("rbd_lock_shared", rbd_lock_shared(image, "c2", "t"), 0);
    expect("rbd_unlock", rbd_unlock(image, "c2"), 0);

    rbd_image_watcher_t watchers[4];
    size_t nw = 0;
    expect("rbd_watchers_list with no room", rbd_watchers_list(image, watchers, &nw), -ERANGE);
    expect("  count needed", nw, 1);
    nw = 4;
    expect("rbd_watchers_list", rbd_watchers_list(image, watchers, &nw), 0);
    expect("  watchers", nw, 1);
    rbd_watchers_list_cleanup(watchers, nw);

    uint64_t handle = 0;
    expect("rbd_update_watch", rbd_update_watch(image, &handle, on_update, NULL), 0);
    must(rbd_resize(image, 16 << 20), "rbd_resize");
    for (int i = 0; i < 50 && !__atomic_load_n(&update_calls, __ATOMIC_SEQ_CST); i++)
        usleep(100000);
    expect("rbd_update_watch's callback ran after a resize", __atomic_load_n(&update_calls, __ATOMIC_SEQ_CST) > 0, 1);
    expect("rbd_update_unwatch", rbd_update_unwatch(image, handle), 0);
    rbd_close(image);
    must(rbd_remove(io, name), "rbd_remove");
}

static int pings;
static rados_ioctx_t watch_io;

static void on_notify(void *arg, uint64_t notify_id, uint64_t handle, uint64_t notifier_id, void *data, size_t len)
{
    (void)notifier_id;
    if (len == 4 && memcmp(data, "ping", 4) == 0)
        __atomic_add_fetch(&pings, 1, __ATOMIC_SEQ_CST);
    /* Acking from the callback, as python3-rados and librbd do. */
    rados_notify_ack(watch_io, arg, notify_id, handle, "pong", 4);
}

static int watch_errors, watch_error;

static void on_watch_error(void *arg, uint64_t handle, int err)
{
    (void)arg;
    (void)handle;
    __atomic_store_n(&watch_error, err, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&watch_errors, 1, __ATOMIC_SEQ_CST);
}

/* An aio watch is pinged while it lives, and its loss (the object was
 * deleted under it) reaches the error callback and rados_watch_check. */
static void check_watch_loss(rados_ioctx_t io, const char *oid)
{
    uint64_t cookie = 0;
    rados_completion_t c = rados_completion();
    expect("rados_aio_watch2", rados_aio_watch2(io, oid, c, &cookie, on_notify, on_watch_error, 30, (void *)oid), 0);
    expect("  its completion", aio_rados_result(c), 0);
    /* Pings confirm it every 5 s: within any 7 s one was answered. */
    sleep(7);
    int age = rados_watch_check(io, cookie);
    expect("rados_watch_check after 7 s is under 5.5 s", age > 0 && age < 5500, 1);
    must(rados_remove(io, oid), "rados_remove of the watched object");
    for (int i = 0; i < 100 && !__atomic_load_n(&watch_errors, __ATOMIC_SEQ_CST); i++)
        usleep(100000);
    expect("  the error callback ran once", __atomic_load_n(&watch_errors, __ATOMIC_SEQ_CST), 1);
    expect("  with", __atomic_load_n(&watch_error, __ATOMIC_SEQ_CST), -ENOTCONN);
    expect("rados_watch_check of the lost watch", rados_watch_check(io, cookie), -ENOTCONN);
    c = rados_completion();
    expect("rados_aio_unwatch", rados_aio_unwatch(io, cookie, c), 0);
    expect("  its completion", aio_rados_result(c), -ENOENT);
    expect("rados_watch_check after unwatching", rados_watch_check(io, cookie), -ENOTCONN);
    must(rados_write_full(io, oid, "x", 1), "rados_write_full");
}

/* Watch/notify and advisory object locks (librados). */
static void check_watch_and_locks(rados_t cluster, rados_ioctx_t io)
{
    char oid[64];
    uint64_t cookie = 0;
    snprintf(oid, sizeof oid, "compat-watch-%d", (int)getpid());
    watch_io = io;
    must(rados_write_full(io, oid, "x", 1), "rados_write_full");
    char pool_name[8];
    expect("rados_ioctx_get_pool_name", rados_ioctx_get_pool_name(io, pool_name, sizeof pool_name), 3);
    expect("  the name", strcmp(pool_name, "rbd"), 0);
    expect("rados_ioctx_get_pool_name with no room for the NUL", rados_ioctx_get_pool_name(io, pool_name, 3), -ERANGE);
    expect("rados_watch2 of a missing object", rados_watch2(io, "compat-no-such-object", &cookie, on_notify, NULL, oid), -ENOENT);
    expect("rados_watch2", rados_watch2(io, oid, &cookie, on_notify, NULL, oid), 0);
    expect("rados_watch_check of a live watch is not an error", rados_watch_check(io, cookie) >= 0, 1);
    if (!local_store) {
        /* The embedded store has no other processes to deliver to. */
        char *reply = NULL;
        size_t reply_len = 0, nr_acks = 0, nr_timeouts = 0;
        struct notify_ack_t *acks = NULL;
        struct notify_timeout_t *timeouts = NULL;
        expect("rados_notify2", rados_notify2(io, oid, "ping", 4, 5000, &reply, &reply_len), 0);
        expect("  the watch callback got the payload", __atomic_load_n(&pings, __ATOMIC_SEQ_CST), 1);
        expect("rados_decode_notify_response", rados_decode_notify_response(reply, reply_len, &acks, &nr_acks, &timeouts, &nr_timeouts), 0);
        expect("  acks", nr_acks, 1);
        expect("  timeouts", nr_timeouts, 0);
        expect("  the ack's reply", nr_acks == 1 && acks[0].payload_len == 4 && memcmp(acks[0].payload, "pong", 4) == 0, 1);
        expect("  the ack's cookie", nr_acks == 1 && acks[0].cookie == cookie, 1);
        rados_free_notify_response(acks, nr_acks, timeouts);
        rados_buffer_free(reply);
        expect("rados_watch_flush", rados_watch_flush(cluster), 0);
        rados_completion_t c = rados_completion();
        expect("rados_aio_watch_flush", rados_aio_watch_flush(cluster, c), 0);
        expect("  its completion", aio_rados_result(c), 0);
    }
    expect("rados_unwatch2", rados_unwatch2(io, cookie), 0);
    if (!local_store)
        check_watch_loss(io, oid);

    char tag[16], clients[64], cookies[64], addrs[128];
    size_t tl = sizeof tag, cl = sizeof clients, kl = sizeof cookies, al = sizeof addrs;
    int excl = -1;
    struct timeval forever = {0, 0};
    expect("rados_lock_exclusive", rados_lock_exclusive(io, oid, "l", "c1", "test", &forever, 0), 0);
    expect("rados_lock_exclusive again", rados_lock_exclusive(io, oid, "l", "c1", "test", NULL, 0), -EEXIST);
    expect("rados_lock_exclusive renewing", rados_lock_exclusive(io, oid, "l", "c1", "test", NULL, LIBRADOS_LOCK_FLAG_MAY_RENEW), 0);
    expect("rados_lock_shared while exclusive", rados_lock_shared(io, oid, "l", "c2", "t", "d", NULL, 0), -EBUSY);
    expect("rados_list_lockers", rados_list_lockers(io, oid, "l", &excl, tag, &tl, clients, &cl, cookies, &kl, addrs, &al), 1);
    expect("  exclusive", excl, 1);
    expect("  cookie", strcmp(cookies, "c1"), 0);
    expect("rados_unlock", rados_unlock(io, oid, "l", "c1"), 0);
    expect("rados_unlock again", rados_unlock(io, oid, "l", "c1"), -ENOENT);
    expect("rados_lock_shared", rados_lock_shared(io, oid, "l", "c2", "t", "d", NULL, 0), 0);
    tl = sizeof tag, cl = sizeof clients, kl = sizeof cookies, al = sizeof addrs;
    expect("rados_list_lockers of a shared lock", rados_list_lockers(io, oid, "l", &excl, tag, &tl, clients, &cl, cookies, &kl, addrs, &al), 1);
    expect("  tag", strcmp(tag, "t"), 0);
    expect("rados_break_lock of a malformed client", rados_break_lock(io, oid, "l", "nobody", "c2"), -EINVAL);
    expect("rados_break_lock", rados_break_lock(io, oid, "l", clients, "c2"), 0);
    must(rados_remove(io, oid), "rados_remove");
}

/* Two opens of one image in one process are two clients: they hand the
 * exclusive lock to each other as two processes would. */
static void check_two_opens(rados_ioctx_t io)
{
    char name[64], buf[4096], back[4096];
    rbd_image_t a, b;
    int order = 22, owner = -1;
    snprintf(name, sizeof name, "compat-two-%d", (int)getpid());
    must(rbd_create2(io, name, 8 << 20, RBD_FEATURE_LAYERING | RBD_FEATURE_EXCLUSIVE_LOCK, &order), "rbd_create2");
    must(rbd_open(io, name, &a, NULL), "rbd_open a");
    must(rbd_open(io, name, &b, NULL), "rbd_open b");
    memset(buf, 0xa1, sizeof buf);
    expect("write through the first open", rbd_write(a, 0, sizeof buf, buf), sizeof buf);
    memset(buf, 0xb2, sizeof buf);
    expect("write through the second open, which asks for the lock", rbd_write(b, 4096, sizeof buf, buf), sizeof buf);
    /* librbd takes the lock before a write enters its cache, librbdrs when
     * the cache writes it back: after a flush both own it. */
    expect("flush the second open", rbd_flush(b), 0);
    rbd_is_exclusive_lock_owner(b, &owner);
    expect("  the second open owns the lock now", owner, 1);
    rbd_is_exclusive_lock_owner(a, &owner);
    expect("  the first no longer does", owner, 0);
    memset(buf, 0xa3, sizeof buf);
    expect("write through the first open again", rbd_write(a, 8192, sizeof buf, buf), sizeof buf);
    expect("flush the first open", rbd_flush(a), 0);
    expect("read back through the second open", rbd_read(b, 4096, sizeof back, back), sizeof back);
    expect("  it holds what the second wrote", back[0] == (char)0xb2 && back[4095] == (char)0xb2, 1);
    expect("read back through the second open what the first wrote last", rbd_read(b, 8192, sizeof back, back), sizeof back);
    expect("  it holds that", back[0] == (char)0xa3, 1);
    rbd_close(a);
    rbd_close(b);
    must(rbd_remove(io, name), "rbd_remove");
}

/* Runs one monitor command (one JSON string); its output and status line,
 * NUL-terminated, in mon_out and mon_status (librados's are not). */
static char mon_out[65536], mon_status[4096];

static int mon_command(rados_t cluster, const char *json)
{
    const char *cmd[1] = {json};
    char *out = NULL, *status = NULL;
    size_t outlen = 0, statuslen = 0;
    int r = rados_mon_command(cluster, cmd, 1, "", 0, &out, &outlen, &status, &statuslen);
    snprintf(mon_out, sizeof mon_out, "%.*s", (int)outlen, out ? out : "");
    snprintf(mon_status, sizeof mon_status, "%.*s", (int)statuslen, status ? status : "");
    rados_buffer_free(out);
    rados_buffer_free(status);
    return r;
}

/* The embedded store reports the filesystem holding it as its capacity,
 * where programs (Cinder, Nova, libvirt) size themselves by. */
static void check_local_capacity(rados_t cluster)
{
    struct rados_cluster_stat_t st;
    expect("rados_cluster_stat on the embedded store", rados_cluster_stat(cluster, &st), 0);
    expect("  a capacity, with room left", st.kb > 0 && st.kb_avail > 0 && st.kb_avail <= st.kb, 1);
    expect("rados_mon_command df on the embedded store",
           mon_command(cluster, "{\"prefix\": \"df\", \"format\": \"json\"}"), 0);
    expect("  its JSON lists pool rbd", strstr(mon_out, "\"pools\":[{\"name\":\"rbd\"") != NULL, 1);
    expect("rados_mon_command of what only a cluster does",
           mon_command(cluster, "{\"prefix\": \"osd pool ls\"}"), -EOPNOTSUPP);
    int8_t floor = -1;
    expect("rados_get_min_compatible_osd on the embedded store (no OSDs)",
           rados_get_min_compatible_osd(cluster, &floor), -EOPNOTSUPP);
}

/* Pools made and dropped through the monitor, and monitor commands. */
static void check_pools_and_commands(rados_t cluster)
{
    char pool[64];
    snprintf(pool, sizeof pool, "compat-made-%d", (int)getpid());
    char listed[256];
    snprintf(listed, sizeof listed,
             "env -u LD_LIBRARY_PATH ceph --conf '%s' osd pool ls 2>/dev/null | grep -qx '%s'", conf, pool);
    expect("rados_pool_create", rados_pool_create(cluster, pool), 0);
    expect("  rados_pool_lookup of it right after > 0", rados_pool_lookup(cluster, pool) > 0, 1);
    expect("  ceph osd pool ls lists it", system(listed), 0);
    expect("rados_pool_create again", rados_pool_create(cluster, pool), -EEXIST);
    expect("rados_pool_create_with_auid of an owner", rados_pool_create_with_auid(cluster, "compat-owned", 5), -EINVAL);
    expect("rados_pool_delete", rados_pool_delete(cluster, pool), 0);
    expect("  rados_pool_lookup of it right after", rados_pool_lookup(cluster, pool), -ENOENT);
    expect("  ceph osd pool ls no longer lists it", system(listed) != 0, 1);
    expect("rados_pool_delete again", rados_pool_delete(cluster, pool), -ENOENT);

    char fsid[64], cmd[256], name[64];
    expect("rados_cluster_fsid", rados_cluster_fsid(cluster, fsid, sizeof fsid), 36);
    snprintf(cmd, sizeof cmd, "env -u LD_LIBRARY_PATH ceph --conf '%s' fsid 2>/dev/null | grep -qx '%s'", conf, fsid);
    expect("  the fsid `ceph fsid` prints", system(cmd), 0);
    expect("rados_cluster_fsid with no room for the NUL", rados_cluster_fsid(cluster, fsid, 36), -ERANGE);
    int64_t rbd_pool = rados_pool_lookup(cluster, "rbd"), tier = -1;
    expect("rados_pool_reverse_lookup", rados_pool_reverse_lookup(cluster, rbd_pool, name, sizeof name), 3);
    expect("  the name", strcmp(name, "rbd"), 0);
    expect("rados_pool_reverse_lookup short", rados_pool_reverse_lookup(cluster, rbd_pool, name, 3), -ERANGE);
    expect("rados_pool_reverse_lookup of no pool", rados_pool_reverse_lookup(cluster, 987654, name, sizeof name), -ENOENT);
    expect("rados_pool_get_base_tier", rados_pool_get_base_tier(cluster, rbd_pool, &tier), 0);
    expect("  a pool with no tiers is its own base", tier == rbd_pool, 1);
    struct rados_cluster_stat_t st;
    expect("rados_cluster_stat", rados_cluster_stat(cluster, &st), 0);
    int8_t min_client = -1, require_client = -1, require_osd = -1;
    expect("rados_get_min_compatible_client", rados_get_min_compatible_client(cluster, &min_client, &require_client), 0);
    expect("  a new Pacific cluster allows jewel clients", min_client, 10);
    expect("  and requires luminous ones", require_client, 12);
    expect("rados_get_min_compatible_osd", rados_get_min_compatible_osd(cluster, &require_osd), 0);
    expect("  its OSDs must run pacific", require_osd, 16);
    char fenced[] = "192.0.2.9:0/1234", garbage[] = "not an address";
    expect("rados_blocklist_add", rados_blocklist_add(cluster, fenced, 60), 0);
    expect("rados_blocklist_add of a malformed address", rados_blocklist_add(cluster, garbage, 60), -EINVAL);
    expect("rados_mon_command df", mon_command(cluster, "{\"prefix\": \"df\", \"format\": \"json\"}"), 0);
    expect("  its JSON has the stats", strstr(mon_out, "\"stats\"") != NULL, 1);
    expect("rados_mon_command mon dump", mon_command(cluster, "{\"prefix\": \"mon dump\", \"format\": \"json\"}"), 0);
    expect("  its JSON lists the monitors", strstr(mon_out, "\"mons\"") != NULL, 1);
    expect("  its status says which epoch", strncmp(mon_status, "dumped monmap epoch", 19) == 0, 1);
    /* What the ceph tool prints for it, byte for byte (it adds newlines
     * around it). */
    char tool_cmd[512], printed[65536] = "";
    snprintf(tool_cmd, sizeof tool_cmd, "env -u LD_LIBRARY_PATH ceph --conf '%s' mon dump --format json 2>/dev/null", conf);
    FILE *tool = popen(tool_cmd, "r");
    size_t got = tool ? fread(printed, 1, sizeof printed - 1, tool) : 0;
    if (tool)
        pclose(tool);
    printed[got] = 0;
    if (got > 0 && printed[got - 1] == '\n')
        printed[got - 1] = 0;
    const char *json = printed + strspn(printed, "\n");
    size_t ours = strlen(mon_out);
    while (ours > 0 && mon_out[ours - 1] == '\n')
        mon_out[--ours] = 0;
    expect("  the same JSON as `ceph mon dump --format json`", strcmp(mon_out, json), 0);
    expect("rados_mon_command of no such command", mon_command(cluster, "{\"prefix\": \"no such thing\"}"), -EINVAL);
    expect("  with a status line", strlen(mon_status) > 0, 1);
}

/* A command through one of the *_command calls, its buffers freed. */
static char cmd_out[65536], cmd_status[4096];

static int keep(int r, char *out, size_t outlen, char *status, size_t statuslen)
{
    snprintf(cmd_out, sizeof cmd_out, "%.*s", (int)outlen, out ? out : "");
    snprintf(cmd_status, sizeof cmd_status, "%.*s", (int)statuslen, status ? status : "");
    rados_buffer_free(out);
    rados_buffer_free(status);
    return r;
}

#define RUN_COMMAND(call, ...)                                                         \
    ({                                                                                 \
        const char *cmd_[] = {__VA_ARGS__};                                            \
        char *out_ = NULL, *status_ = NULL;                                            \
        size_t outlen_ = 0, statuslen_ = 0;                                            \
        int r_ = call(cmd_, 1, "", 0, &out_, &outlen_, &status_, &statuslen_);         \
        keep(r_, out_, outlen_, status_, statuslen_);                                  \
    })
#define VERSION "{\"prefix\": \"version\"}"

static void check_targeted_commands(rados_t cluster)
{
    static char first[65536];
    const char *target;
#define MON_TARGET_CALL(...) rados_mon_command_target(cluster, target, __VA_ARGS__)
    target = "a";
    expect("rados_mon_command_target by name", RUN_COMMAND(MON_TARGET_CALL, VERSION), 0);
    expect("  the monitor's version JSON", strstr(cmd_out, "\"release\"") != NULL, 1);
    snprintf(first, sizeof first, "%s", cmd_out);
    target = "0";
    expect("rados_mon_command_target by rank", RUN_COMMAND(MON_TARGET_CALL, VERSION), 0);
    expect("  the same answer", strcmp(first, cmd_out), 0);
    target = "1";
    expect("rados_mon_command_target of no such rank", RUN_COMMAND(MON_TARGET_CALL, VERSION), -ENOENT);
    expect("  says so", strcmp(cmd_status, "mon rank dne"), 0);
    target = "mon.a";
    expect("rados_mon_command_target of no such name", RUN_COMMAND(MON_TARGET_CALL, VERSION), -ENOENT);
    expect("  says so", strcmp(cmd_status, "mon dne"), 0);
    target = "a";
    expect("rados_mon_command_target of what only the quorum answers",
           RUN_COMMAND(MON_TARGET_CALL, "{\"prefix\": \"mon dump\"}"), -EINVAL);
    target = "";
    expect("rados_mon_command_target of no name is rados_mon_command", RUN_COMMAND(MON_TARGET_CALL, VERSION), 0);
    expect("  and answers as the quorum does", strncmp(cmd_out, "ceph version ", 13), 0);
#undef MON_TARGET_CALL

    int osd;
#define OSD_CALL(...) rados_osd_command(cluster, osd, __VA_ARGS__)
    osd = 0;
    expect("rados_osd_command version", RUN_COMMAND(OSD_CALL, VERSION), 0);
    expect("  the OSD's version JSON", strstr(cmd_out, "\"release\"") != NULL, 1);
    expect("rados_osd_command status", RUN_COMMAND(OSD_CALL, "{\"prefix\": \"status\"}"), 0);
    expect("  names the OSD", strstr(cmd_out, "\"whoami\": 0") != NULL, 1);
    expect("rados_osd_command of no such command", RUN_COMMAND(OSD_CALL, "{\"prefix\": \"no such\"}"), -EINVAL);
    expect("  with a status line", strlen(cmd_status) > 0, 1);
    osd = 99;
    expect("rados_osd_command of no such OSD", RUN_COMMAND(OSD_CALL, VERSION), -ENOENT);
    expect("  says so", strcmp(cmd_status, "osd dne"), 0);
    osd = -1;
    expect("rados_osd_command of a negative id", RUN_COMMAND(OSD_CALL, VERSION), -EINVAL);
#undef OSD_CALL

    char pg[32];
    const char *pgstr = pg;
    snprintf(pg, sizeof pg, "%lld.0", (long long)rados_pool_lookup(cluster, "rbd"));
#define PG_CALL(...) rados_pg_command(cluster, pgstr, __VA_ARGS__)
    char query[128];
    snprintf(query, sizeof query, "{\"prefix\": \"query\", \"pgid\": \"%s\"}", pg);
    expect("rados_pg_command query", RUN_COMMAND(PG_CALL, query), 0);
    expect("  the pg's state", strstr(cmd_out, "\"state\"") != NULL, 1);
    pgstr = "987654.0";
    expect("rados_pg_command in no such pool", RUN_COMMAND(PG_CALL, query), -ENOENT);
    pgstr = "1";
    expect("rados_pg_command of a malformed pg", RUN_COMMAND(PG_CALL, query), -EINVAL);
    pgstr = "x.0";
    expect("rados_pg_command of a malformed pool", RUN_COMMAND(PG_CALL, query), -EINVAL);
#undef PG_CALL

    /* No manager daemon: librados waits rados_mon_op_timeout and returns
     * ETIMEDOUT, positive (without the timeout it waits for ever).
     * librbdrs has no manager client and says so at once. */
    rados_t timed;
    must(rados_create(&timed, "admin"), "rados_create");
    must(rados_conf_read_file(timed, conf), "rados_conf_read_file");
    must(rados_conf_set(timed, "rados_mon_op_timeout", "2"), "rados_mon_op_timeout");
    must(rados_connect(timed), "rados_connect");
    struct timeval t0, t1;
    gettimeofday(&t0, NULL);
#define MGR_CALL(...) rados_mgr_command(timed, __VA_ARGS__)
    int mgr = RUN_COMMAND(MGR_CALL, VERSION);
    expect("rados_mgr_command with no manager: ETIMEDOUT (librados) or -EOPNOTSUPP (librbdrs)", mgr == ETIMEDOUT || mgr == -EOPNOTSUPP, 1);
#undef MGR_CALL
#define MGR_TARGET_CALL(...) rados_mgr_command_target(timed, "x", __VA_ARGS__)
    expect("rados_mgr_command_target: the same", RUN_COMMAND(MGR_TARGET_CALL, VERSION), mgr);
#undef MGR_TARGET_CALL
    gettimeofday(&t1, NULL);
    long waited = t1.tv_sec - t0.tv_sec;
    expect("  librados's after rados_mon_op_timeout, each; librbdrs's at once", mgr == ETIMEDOUT ? waited >= 4 && waited < 8 : waited < 2, 1);
    rados_shutdown(timed);

    char *pong = NULL;
    size_t pong_len = 0;
    expect("rados_ping_monitor", rados_ping_monitor(cluster, "a", &pong, &pong_len), 0);
    /* librados's buffer has no NUL: read pong_len bytes. */
    snprintf(cmd_out, sizeof cmd_out, "%.*s", (int)pong_len, pong ? pong : "");
    expect("  its JSON has health and mon_status", strstr(cmd_out, "\"health\"") && strstr(cmd_out, "\"mon_status\""), 1);
    rados_buffer_free(pong);
    expect("rados_ping_monitor of no such monitor", rados_ping_monitor(cluster, "zz", &pong, &pong_len), -ENOENT);
    expect("rados_ping_monitor of no name", rados_ping_monitor(cluster, "", &pong, &pong_len), -EINVAL);
    rados_t fresh;
    must(rados_create(&fresh, "admin"), "rados_create");
    must(rados_conf_read_file(fresh, conf), "rados_conf_read_file");
    pong = NULL;
    expect("rados_ping_monitor before rados_connect", rados_ping_monitor(fresh, "a", &pong, &pong_len), 0);
    snprintf(cmd_out, sizeof cmd_out, "%.*s", (int)pong_len, pong ? pong : "");
    expect("  its JSON has mon_status", strstr(cmd_out, "\"mon_status\"") != NULL, 1);
    rados_buffer_free(pong);
    rados_shutdown(fresh);
}

/* With no manager daemon the monitor has no pool stats: librados fills
 * zeros. The embedded store counts its objects. */
static void check_pool_stat(rados_ioctx_t io)
{
    struct rados_pool_stat_t st;
    memset(&st, 0xff, sizeof st);
    must(rados_write_full(io, "compat-stat-a", "12345", 5), "rados_write_full");
    must(rados_write_full(io, "compat-stat-b", "12345", 5), "rados_write_full");
    expect("rados_ioctx_pool_stat", rados_ioctx_pool_stat(io, &st), 0);
    if (local_store) {
        expect("  counts the objects", st.num_objects >= 2, 1);
        expect("  and their bytes, KiB rounded up", st.num_bytes >= 10 && st.num_kb == (st.num_bytes + 1023) / 1024, 1);
    } else {
        expect("  no manager: no objects counted", st.num_objects, 0);
        expect("  nor bytes", st.num_bytes + st.num_kb + st.num_user_bytes, 0);
    }
    rados_remove(io, "compat-stat-a");
    rados_remove(io, "compat-stat-b");
}

/* A write op asserting omap key `key` against `val` with `op`. */
static int omap_cmp(rados_ioctx_t io, const char *oid, const char *key, uint8_t op, const char *val, int *prval)
{
    rados_write_op_t w = rados_create_write_op();
    rados_write_op_omap_cmp(w, key, op, val, strlen(val), prval);
    int r = rados_write_op_operate(w, io, oid, NULL, 0);
    rados_release_write_op(w);
    return r;
}

/* The object calls python3-rados binds: compare-extent, version and omap
 * assertions, key-range removal, aio attributes, write-same and class
 * calls, the last version and the pool's alignment. */
static void check_object_ops(rados_ioctx_t io)
{
    const char *oid = "compat-objops";
    int prval = 1, r;
    char buf[16];
    rados_remove(io, oid);
    must(rados_write_full(io, oid, "hello world", 11), "rados_write_full");
    uint64_t v1 = rados_get_last_version(io);
    expect("rados_get_last_version after a write > 0", v1 > 0, 1);
    must(rados_write(io, oid, "h", 1, 0), "rados_write");
    uint64_t v2 = rados_get_last_version(io);
    expect("  a later write is newer", v2 > v1, 1);
    must(rados_stat(io, oid, NULL, NULL), "rados_stat");
    expect("  a stat reports the version it saw", rados_get_last_version(io) == v2, 1);

    expect("rados_cmpext equal", rados_cmpext(io, oid, "hello", 5, 0), 0);
    expect("rados_cmpext first mismatch at 4: -MAX_ERRNO - 4", rados_cmpext(io, oid, "hellx", 5, 0), -4095 - 4);
    expect("rados_cmpext at an offset", rados_cmpext(io, oid, "world", 5, 6), 0);
    expect("rados_cmpext past the end compares zeros", rados_cmpext(io, oid, "d\0\0", 3, 10), 0);
    rados_completion_t c = rados_completion();
    expect("rados_aio_cmpext", rados_aio_cmpext(io, oid, c, "hallo", 5, 0), 0);
    expect("  mismatch at 1", aio_rados_result(c), -4095 - 1);

    rados_read_op_t rop = rados_create_read_op();
    rados_read_op_cmpext(rop, "hellp", 5, 0, &prval);
    expect("rados_read_op_cmpext mismatch", rados_read_op_operate(rop, io, oid, 0), -4095 - 4);
    expect("  its prval", prval, -4095 - 4);
    rados_release_read_op(rop);

    rados_write_op_t w = rados_create_write_op();
    rados_write_op_cmpext(w, "jello", 5, 0, &prval);
    rados_write_op_write(w, "J", 1, 0);
    expect("rados_write_op_cmpext mismatch", rados_write_op_operate(w, io, oid, NULL, 0), -4095);
    expect("  its prval", prval, -4095);
    rados_release_write_op(w);
    expect("  the write after it did not happen", rados_read(io, oid, buf, 1, 0) == 1 && buf[0] == 'h', 1);
    w = rados_create_write_op();
    rados_write_op_cmpext(w, "hello", 5, 0, &prval);
    rados_write_op_write(w, "H", 1, 0);
    expect("rados_write_op_cmpext match", rados_write_op_operate(w, io, oid, NULL, 0), 0);
    expect("  its prval", prval, 0);
    rados_release_write_op(w);
    uint64_t v3 = rados_get_last_version(io);

    w = rados_create_write_op();
    rados_write_op_assert_version(w, v3);
    rados_write_op_setxattr(w, "x", "1", 1);
    expect("rados_write_op_assert_version of the current version", rados_write_op_operate(w, io, oid, NULL, 0), 0);
    rados_release_write_op(w);
    w = rados_create_write_op();
    rados_write_op_assert_version(w, v3);
    expect("  of an older version: -ERANGE", rados_write_op_operate(w, io, oid, NULL, 0), -ERANGE);
    rados_release_write_op(w);
    w = rados_create_write_op();
    rados_write_op_assert_version(w, v3 + 1000);
    expect("  of a newer version: -EOVERFLOW", rados_write_op_operate(w, io, oid, NULL, 0), -EOVERFLOW);
    rados_release_write_op(w);

    const char *keys[] = {"a", "b", "c", "d"};
    const char *vals[] = {"m", "m", "m", "m"};
    size_t lens[] = {1, 1, 1, 1};
    w = rados_create_write_op();
    rados_write_op_omap_set(w, keys, vals, lens, 4);
    must(rados_write_op_operate(w, io, oid, NULL, 0), "omap_set");
    rados_release_write_op(w);
    expect("rados_write_op_omap_cmp EQ holds", omap_cmp(io, oid, "a", LIBRADOS_CMPXATTR_OP_EQ, "m", &prval), 0);
    expect("  its prval", prval, 0);
    expect("  EQ fails: -ECANCELED", omap_cmp(io, oid, "a", LIBRADOS_CMPXATTR_OP_EQ, "n", &prval), -ECANCELED);
    expect("  its prval", prval, -ECANCELED);
    expect("  GT holds", omap_cmp(io, oid, "a", LIBRADOS_CMPXATTR_OP_GT, "l", &prval), 0);
    expect("  LT fails", omap_cmp(io, oid, "a", LIBRADOS_CMPXATTR_OP_LT, "m", &prval), -ECANCELED);
    expect("  an absent key is empty", omap_cmp(io, oid, "zz", LIBRADOS_CMPXATTR_OP_EQ, "", &prval), 0);
    expect("  NE is not offered: -EINVAL", omap_cmp(io, oid, "a", LIBRADOS_CMPXATTR_OP_NE, "x", &prval), -EINVAL);
    expect("  on no object: -ENOENT", omap_cmp(io, "compat-objops-none", "a", LIBRADOS_CMPXATTR_OP_EQ, "", &prval), -ENOENT);
    w = rados_create_write_op();
    rados_write_op_omap_rm_range2(w, "b", 1, "d", 1);
    expect("rados_write_op_omap_rm_range2 [b, d)", rados_write_op_operate(w, io, oid, NULL, 0), 0);
    rados_release_write_op(w);
    expect("  b is gone", omap_cmp(io, oid, "b", LIBRADOS_CMPXATTR_OP_EQ, "", &prval), 0);
    expect("  c is gone", omap_cmp(io, oid, "c", LIBRADOS_CMPXATTR_OP_EQ, "", &prval), 0);
    expect("  a stays", omap_cmp(io, oid, "a", LIBRADOS_CMPXATTR_OP_EQ, "m", &prval), 0);
    expect("  d stays", omap_cmp(io, oid, "d", LIBRADOS_CMPXATTR_OP_EQ, "m", &prval), 0);

    c = rados_completion();
    expect("rados_aio_setxattr", rados_aio_setxattr(io, oid, c, "ax", "42", 2), 0);
    expect("  completes with 0", aio_rados_result(c), 0);
    expect("  the attribute is there", rados_getxattr(io, oid, "ax", buf, sizeof buf), 2);
    c = rados_completion();
    expect("rados_aio_rmxattr", rados_aio_rmxattr(io, oid, c, "ax"), 0);
    expect("  completes with 0", aio_rados_result(c), 0);
    expect("  the attribute is gone", rados_getxattr(io, oid, "ax", buf, sizeof buf), -ENODATA);
    c = rados_completion();
    expect("rados_aio_rmxattr on no object", rados_aio_rmxattr(io, "compat-objops-none", c, "ax"), 0);
    expect("  completes with -ENOENT", aio_rados_result(c), -ENOENT);

    c = rados_completion();
    expect("rados_aio_writesame", rados_aio_writesame(io, oid, c, "ab", 2, 8, 2), 0);
    expect("  completes with 0", aio_rados_result(c), 0);
    expect("  the pattern is written", rados_read(io, oid, buf, 10, 0) == 10 && memcmp(buf, "Heabababab", 10) == 0, 1);
    c = rados_completion();
    expect("rados_aio_writesame of a partial pattern: -EINVAL at once", rados_aio_writesame(io, oid, c, "ab", 2, 7, 0), -EINVAL);
    rados_aio_release(c);

    /* cls_lock's list_locks: an encoded empty request, an empty reply of
     * 10 bytes (a versioned header and a count). */
    const char list_in[] = {1, 1, 0, 0, 0, 0};
    char out[64];
    c = rados_completion();
    expect("rados_aio_exec lock.list_locks",
           rados_aio_exec(io, oid, c, "lock", "list_locks", list_in, sizeof list_in, out, sizeof out), 0);
    expect("  completes with the output's length", aio_rados_result(c), 10);
    c = rados_completion();
    expect("rados_aio_exec of no such method",
           rados_aio_exec(io, oid, c, "lock", "no_such_method", NULL, 0, out, sizeof out), 0);
    expect("  completes with -EOPNOTSUPP", aio_rados_result(c), -EOPNOTSUPP);
    w = rados_create_write_op();
    rados_write_op_exec(w, "lock", "list_locks", list_in, sizeof list_in, &prval);
    expect("rados_write_op_exec", rados_write_op_operate(w, io, oid, NULL, 0), 0);
    expect("  its prval", prval, 0);
    rados_release_write_op(w);
    /* Its prval is left out: a cluster's OSD answers 0 there (the reply of
     * a failed write carries no op results), the embedded store -95. */
    w = rados_create_write_op();
    rados_write_op_exec(w, "lock", "no_such_method", NULL, 0, &prval);
    expect("rados_write_op_exec of no such method", rados_write_op_operate(w, io, oid, NULL, 0), -EOPNOTSUPP);
    rados_release_write_op(w);

    int req = -1;
    uint64_t alignment = 1;
    expect("rados_ioctx_pool_requires_alignment2 of the rbd pool", rados_ioctx_pool_requires_alignment2(io, &req), 0);
    expect("  a replicated pool needs none", req, 0);
    expect("rados_ioctx_pool_required_alignment2", rados_ioctx_pool_required_alignment2(io, &alignment), 0);
    expect("  0 for a replicated pool", alignment, 0);
    rados_set_pool_full_try(io);
    expect("a write after rados_set_pool_full_try (pool not full)", rados_write(io, oid, "F", 1, 0), 0);
    rados_unset_pool_full_try(io);
    expect("  and after rados_unset_pool_full_try", rados_write(io, oid, "H", 1, 0), 0);
    r = rados_remove(io, oid);
    expect("cleanup", r, 0);
}

/* The iterators: omap reads in a read op, and an object's attributes. */
static void check_iterators(rados_ioctx_t io)
{
    const char *oid = "compat-iters";
    const char *keys[] = {"k1", "k2", "p1"};
    const char *vals[] = {"v1", "v22", "v333"};
    size_t lens[] = {2, 3, 4};
    rados_remove(io, oid);
    rados_write_op_t w = rados_create_write_op();
    rados_write_op_omap_set(w, keys, vals, lens, 3);
    rados_write_op_setxattr(w, "a1", "x", 1);
    rados_write_op_setxattr(w, "a2", "yy", 2);
    must(rados_write_op_operate(w, io, oid, NULL, 0), "omap_set");
    rados_release_write_op(w);

    rados_omap_iter_t keys_it, vals_it, by_keys_it;
    unsigned char more_keys = 9, more_vals = 9;
    int rk = 1, rv = 1, rb = 1;
    const char *wanted[] = {"k2", "nope"};
    rados_read_op_t r = rados_create_read_op();
    rados_read_op_omap_get_keys2(r, "k1", 10, &keys_it, &more_keys, &rk);
    rados_read_op_omap_get_vals2(r, NULL, "k", 1, &vals_it, &more_vals, &rv);
    rados_read_op_omap_get_vals_by_keys(r, wanted, 2, &by_keys_it, &rb);
    expect("rados_read_op with omap_get_keys2, _vals2, _vals_by_keys", rados_read_op_operate(r, io, oid, 0), 0);
    rados_release_read_op(r);
    expect("  prvals", rk == 0 && rv == 0 && rb == 0, 1);
    expect("  keys after k1: 2", rados_omap_iter_size(keys_it), 2);
    expect("  no more keys", more_keys, 0);
    char *key, *val;
    size_t key_len, val_len;
    expect("rados_omap_get_next2", rados_omap_get_next2(keys_it, &key, &val, &key_len, &val_len), 0);
    expect("  k2, empty value", strcmp(key, "k2") == 0 && key_len == 2 && val_len == 0, 1);
    rados_omap_get_next(keys_it, &key, &val, &val_len);
    expect("rados_omap_get_next: p1", strcmp(key, "p1"), 0);
    rados_omap_get_next(keys_it, &key, &val, &val_len);
    expect("  then the end: NULL", key == NULL && val == NULL && val_len == 0, 1);
    rados_omap_get_end(keys_it);
    expect("vals with prefix k, at most 1", rados_omap_iter_size(vals_it), 1);
    expect("  more follow", more_vals, 1);
    rados_omap_get_next(vals_it, &key, &val, &val_len);
    expect("  k1 = v1", strcmp(key, "k1") == 0 && val_len == 2 && memcmp(val, "v1", 2) == 0, 1);
    rados_omap_get_end(vals_it);
    expect("vals by keys: only those that exist", rados_omap_iter_size(by_keys_it), 1);
    rados_omap_get_next(by_keys_it, &key, &val, &val_len);
    expect("  k2 = v22", strcmp(key, "k2") == 0 && val_len == 3 && memcmp(val, "v22", 3) == 0, 1);
    rados_omap_get_end(by_keys_it);

    rados_omap_iter_t none_it;
    r = rados_create_read_op();
    rados_read_op_omap_get_keys2(r, NULL, 10, &none_it, NULL, &rk);
    expect("omap_get_keys2 on no object", rados_read_op_operate(r, io, "compat-iters-none", 0), -ENOENT);
    rados_release_read_op(r);
    expect("  an empty iterator", rados_omap_iter_size(none_it), 0);
    rados_omap_get_end(none_it);

    rados_xattrs_iter_t xit;
    const char *name, *v;
    size_t len;
    expect("rados_getxattrs", rados_getxattrs(io, oid, &xit), 0);
    rados_getxattrs_next(xit, &name, &v, &len);
    expect("  a1 = x", strcmp(name, "a1") == 0 && len == 1 && v[0] == 'x', 1);
    rados_getxattrs_next(xit, &name, &v, &len);
    expect("  a2 = yy", strcmp(name, "a2") == 0 && len == 2 && memcmp(v, "yy", 2) == 0, 1);
    expect("rados_getxattrs_next at the end", rados_getxattrs_next(xit, &name, &v, &len), 0);
    expect("  NULL, 0", name == NULL && v == NULL && len == 0, 1);
    rados_getxattrs_end(xit);
    expect("rados_getxattrs on no object", rados_getxattrs(io, "compat-iters-none", &xit), -ENOENT);
    must(rados_remove(io, oid), "rados_remove");
}

/* Self-managed snapshots: an id, writes under a snap context that clones
 * the object, reads at the snapshot, rollback. */
static void check_selfmanaged_snaps(rados_ioctx_t io)
{
    const char *oid = "compat-selfsnap";
    char buf[16] = "";
    rados_snap_t snap = 0, snaps[2];
    must(rados_write_full(io, oid, "first", 5), "rados_write_full");
    expect("rados_ioctx_selfmanaged_snap_create", rados_ioctx_selfmanaged_snap_create(io, &snap), 0);
    expect("  a snapshot id", snap > 0 && snap < LIBRADOS_SNAP_HEAD, 1);
    snaps[0] = snap;
    snaps[1] = snap + 1;
    expect("rados_ioctx_selfmanaged_snap_set_write_ctx ascending",
           rados_ioctx_selfmanaged_snap_set_write_ctx(io, snap + 1, snaps, 2), -EINVAL);
    expect("rados_ioctx_selfmanaged_snap_set_write_ctx a snap above seq",
           rados_ioctx_selfmanaged_snap_set_write_ctx(io, snap - 1, snaps, 1), -EINVAL);
    expect("rados_ioctx_selfmanaged_snap_set_write_ctx", rados_ioctx_selfmanaged_snap_set_write_ctx(io, snap, snaps, 1), 0);
    expect("rados_write_full under it", rados_write_full(io, oid, "second", 6), 0);
    rados_ioctx_snap_set_read(io, snap);
    expect("rados_read at the snapshot", rados_read(io, oid, buf, sizeof buf, 0), 5);
    expect("  the data before the snapshot", memcmp(buf, "first", 5), 0);
    expect("rados_write_full while reading a snapshot", rados_write_full(io, oid, "third", 5), -EROFS);
    expect("rados_read at the snapshot of an object made after it", rados_read(io, "compat-selfsnap-new", buf, 4, 0),
           -ENOENT);
    rados_ioctx_snap_set_read(io, LIBRADOS_SNAP_HEAD);
    expect("rados_read at the head", rados_read(io, oid, buf, sizeof buf, 0), 6);
    expect("  the new data", memcmp(buf, "second", 6), 0);
    /* Unlike writes, librados rolls back while reading a snapshot. */
    rados_ioctx_snap_set_read(io, snap);
    expect("rados_ioctx_selfmanaged_snap_rollback while reading a snapshot",
           rados_ioctx_selfmanaged_snap_rollback(io, oid, snap), 0);
    rados_ioctx_snap_set_read(io, LIBRADOS_SNAP_HEAD);
    expect("rados_ioctx_selfmanaged_snap_rollback", rados_ioctx_selfmanaged_snap_rollback(io, oid, snap), 0);
    memset(buf, 0, sizeof buf);
    expect("rados_read after the rollback", rados_read(io, oid, buf, sizeof buf, 0), 5);
    expect("  the snapshot's data", memcmp(buf, "first", 5), 0);
    expect("rados_ioctx_selfmanaged_snap_set_write_ctx empty", rados_ioctx_selfmanaged_snap_set_write_ctx(io, 0, NULL, 0),
           0);
    expect("rados_ioctx_selfmanaged_snap_remove", rados_ioctx_selfmanaged_snap_remove(io, snap), 0);
    rados_remove(io, oid);
}

/* Pool snapshots, in a pool of their own: a pool has either these or
 * self-managed ones. The embedded store has none. */
static void check_pool_snaps(rados_t cluster, rados_ioctx_t rbd)
{
    rados_snap_t id = 0, ids[4];
    char name[16];
    if (local_store) {
        expect("rados_ioctx_snap_create on the embedded store", rados_ioctx_snap_create(rbd, "s1"), -EOPNOTSUPP);
        expect("rados_ioctx_snap_lookup on the embedded store", rados_ioctx_snap_lookup(rbd, "s1", &id), -ENOENT);
        expect("rados_ioctx_snap_list on the embedded store", rados_ioctx_snap_list(rbd, ids, 4), 0);
        return;
    }
    char pool[64], buf[16] = "";
    rados_ioctx_t io;
    const char *oid = "compat-poolsnap";
    snprintf(pool, sizeof pool, "compat-snaps-%d", (int)getpid());
    must(rados_pool_create(cluster, pool), "rados_pool_create");
    must(rados_ioctx_create(cluster, pool, &io), "rados_ioctx_create");
    must(rados_write_full(io, oid, "first", 5), "rados_write_full");
    time_t before = time(NULL);
    expect("rados_ioctx_snap_create", rados_ioctx_snap_create(io, "s1"), 0);
    expect("rados_ioctx_snap_create again", rados_ioctx_snap_create(io, "s1"), -EEXIST);
    expect("rados_ioctx_snap_lookup", rados_ioctx_snap_lookup(io, "s1", &id), 0);
    expect("rados_ioctx_snap_lookup of no snapshot", rados_ioctx_snap_lookup(io, "s2", ids), -ENOENT);
    expect("rados_ioctx_snap_list", rados_ioctx_snap_list(io, ids, 4), 1);
    expect("  the snapshot", ids[0] == id, 1);
    expect("rados_ioctx_snap_list with no room", rados_ioctx_snap_list(io, ids, 0), -ERANGE);
    expect("rados_ioctx_snap_get_name", rados_ioctx_snap_get_name(io, id, name, sizeof name), 0);
    expect("  the name", strcmp(name, "s1"), 0);
    expect("rados_ioctx_snap_get_name short", rados_ioctx_snap_get_name(io, id, name, 2), -ERANGE);
    expect("rados_ioctx_snap_get_name of no snapshot", rados_ioctx_snap_get_name(io, id + 9, name, 16), -ENOENT);
    time_t stamp = 0;
    expect("rados_ioctx_snap_get_stamp", rados_ioctx_snap_get_stamp(io, id, &stamp), 0);
    expect("  about now", stamp >= before - 5 && stamp <= time(NULL) + 5, 1);
    expect("rados_ioctx_selfmanaged_snap_create in a pool with pool snapshots",
           rados_ioctx_selfmanaged_snap_create(io, ids), -EINVAL);
    must(rados_write_full(io, oid, "second", 6), "rados_write_full");
    rados_ioctx_snap_set_read(io, id);
    expect("rados_read at the pool snapshot", rados_read(io, oid, buf, sizeof buf, 0), 5);
    expect("  its data", memcmp(buf, "first", 5), 0);
    rados_ioctx_snap_set_read(io, LIBRADOS_SNAP_HEAD);
    expect("rados_ioctx_snap_rollback", rados_ioctx_snap_rollback(io, oid, "s1"), 0);
    expect("rados_read after it", rados_read(io, oid, buf, sizeof buf, 0), 5);
    expect("rados_ioctx_snap_rollback to no snapshot", rados_ioctx_snap_rollback(io, oid, "s2"), -ENOENT);
    expect("rados_ioctx_snap_remove", rados_ioctx_snap_remove(io, "s1"), 0);
    expect("rados_ioctx_snap_remove again", rados_ioctx_snap_remove(io, "s1"), -ENOENT);
    expect("rados_ioctx_snap_lookup after it", rados_ioctx_snap_lookup(io, "s1", &id), -ENOENT);
    rados_ioctx_destroy(io);
    if (rados_pool_delete(cluster, pool) < 0)
        fprintf(stderr, "compat: could not remove pool %s\n", pool);
}

/* Options among argv applied, the rest handed back (argv[0] included). */
static void check_parse_argv_remainder(void)
{
    rados_t cluster;
    const char *argv[] = {"prog", "--rados-osd-op-timeout", "7", "file", "--no-such-option-here", "x", NULL};
    const char *rest[6];
    char value[32] = "";
    must(rados_create(&cluster, "admin"), "rados_create");
    expect("rados_conf_parse_argv_remainder", rados_conf_parse_argv_remainder(cluster, 6, argv, rest), 0);
    expect("  applied the option", rados_conf_get(cluster, "rados_osd_op_timeout", value, sizeof value), 0);
    expect("  its value", strcmp(value, "7"), 0);
    expect("  argv[0] kept", rest[0] == argv[0], 1);
    expect("  then the non-option", rest[1] == argv[3], 1);
    expect("  and the unknown option", rest[2] == argv[4], 1);
    expect("  and its argument", rest[3] == argv[5], 1);
    expect("  then NULL", rest[4] == NULL && rest[5] == NULL, 1);
    const char *bad[] = {"prog", "--rados-osd-op-timeout", "soon"};
    expect("rados_conf_parse_argv_remainder of a bad value", rados_conf_parse_argv_remainder(cluster, 3, bad, rest),
           -EINVAL);
    rados_shutdown(cluster);
}

static int pool_progress_calls;

static int pool_progress(uint64_t offset, uint64_t total, void *arg)
{
    (void)offset;
    (void)total;
    (void)arg;
    pool_progress_calls++;
    return 0;
}

/* The id of trash entry `name`, or "" (the list's strings are freed). */
static void trash_id(rados_ioctx_t io, const char *name, char *id, size_t len)
{
    rbd_trash_image_info_t entries[64];
    size_t n = 64;
    int r = rbd_trash_list(io, entries, &n);
    id[0] = '\0';
    for (int i = 0; i < r; i++)
        if (strcmp(entries[i].name, name) == 0)
            snprintf(id, len, "%s", entries[i].id);
    if (r > 0)
        rbd_trash_list_cleanup(entries, n);
}

/* Pool-level calls: trash, namespaces, pool metadata and config, stats,
 * copies and children. */
static void check_pool_level(rados_t cluster, rados_ioctx_t io)
{
    expect("rbd_pool_init of the rbd pool", rbd_pool_init(io, false), 0);
    char id[64], buf[4096];
    int order = 22;
    size_t n;
    rbd_image_t img;

    /* The trash: deferment, restore under a new name, snapshots keep it. */
    must(rbd_create2(io, "compat_trash", 8 << 20, 1, &order), "rbd_create2 compat_trash");
    expect("rbd_trash_move(delay 100)", rbd_trash_move(io, "compat_trash", 100), 0);
    expect("rbd_trash_move(gone)", rbd_trash_move(io, "compat_trash", 100), -ENOENT);
    n = 0;
    expect("rbd_trash_list(no room)", rbd_trash_list(io, NULL, &n) == -ERANGE && n >= 1, 1);
    trash_id(io, "compat_trash", id, sizeof id);
    rbd_trash_image_info_t info;
    expect("rbd_trash_get", rbd_trash_get(io, id, &info), 0);
    expect("rbd_trash_get deferment", (long long)(info.deferment_end_time - info.deletion_time), 100);
    expect("rbd_trash_get source", info.source, RBD_TRASH_IMAGE_SOURCE_USER);
    rbd_trash_get_cleanup(&info);
    expect("rbd_trash_get(missing)", rbd_trash_get(io, "nosuchid", &info), -ENOENT);
    expect("rbd_trash_remove(deferred)", rbd_trash_remove(io, id, false), -EPERM);
    expect("rbd_open(trashed)", rbd_open(io, "compat_trash", &img, NULL), -ENOENT);
    expect("rbd_trash_restore(new name)", rbd_trash_restore(io, id, "compat_trash2"), 0);
    expect("rbd_trash_restore(again)", rbd_trash_restore(io, id, "compat_trash2"), -ENOENT);
    must(rbd_open(io, "compat_trash2", &img, NULL), "rbd_open compat_trash2");
    must(rbd_snap_create(img, "s"), "rbd_snap_create");
    rbd_close(img);
    expect("rbd_trash_move(with snapshot)", rbd_trash_move(io, "compat_trash2", 0), 0);
    expect("rbd_trash_remove(snapshots)", rbd_trash_remove(io, id, false), -ENOTEMPTY);
    expect("rbd_trash_restore(old name)", rbd_trash_restore(io, id, ""), 0);
    must(rbd_open(io, "compat_trash2", &img, NULL), "rbd_open compat_trash2");
    must(rbd_snap_remove(img, "s"), "rbd_snap_remove");
    rbd_close(img);
    expect("rbd_trash_move(again)", rbd_trash_move(io, "compat_trash2", 0), 0);
    pool_progress_calls = 0;
    expect("rbd_trash_remove_with_progress", rbd_trash_remove_with_progress(io, id, false, pool_progress, NULL), 0);
    expect("rbd_trash_remove progress called", pool_progress_calls > 0, 1);
    expect("rbd_trash_remove(gone)", rbd_trash_remove(io, id, true), -ENOENT);
    expect("rbd_trash_purge(threshold 2)", rbd_trash_purge(io, 0, 2.0), -EINVAL);
    expect("rbd_trash_purge", rbd_trash_purge(io, 0, -1), 0);

    /* Namespaces: busy while images or trashed images remain. */
    expect("rbd_namespace_create", rbd_namespace_create(io, "compat_ns"), 0);
    expect("rbd_namespace_create(again)", rbd_namespace_create(io, "compat_ns"), -EEXIST);
    expect("rbd_namespace_create(\"\")", rbd_namespace_create(io, ""), -EINVAL);
    n = 0;
    expect("rbd_namespace_list(NULL)", rbd_namespace_list(io, NULL, &n), -EINVAL);
    n = sizeof buf;
    int listed = rbd_namespace_list(io, buf, &n), found = 0;
    for (size_t at = 0; listed > 0 && at < n; at += strlen(buf + at) + 1)
        found |= strcmp(buf + at, "compat_ns") == 0;
    expect("rbd_namespace_list has it", found, 1);
    rados_ioctx_t ns;
    must(rados_ioctx_create(cluster, "rbd", &ns), "rados_ioctx_create ns");
    rados_ioctx_set_namespace(ns, "compat_ns");
    must(rbd_create2(ns, "compat_ns_img", 1 << 20, 1, &order), "rbd_create2 in namespace");
    expect("rbd_namespace_remove(image)", rbd_namespace_remove(io, "compat_ns"), -EBUSY);
    expect("rbd_trash_move(in namespace)", rbd_trash_move(ns, "compat_ns_img", 0), 0);
    expect("rbd_namespace_remove(trash)", rbd_namespace_remove(io, "compat_ns"), -EBUSY);
    trash_id(ns, "compat_ns_img", id, sizeof id);
    expect("rbd_trash_remove(in namespace)", rbd_trash_remove(ns, id, false), 0);
    expect("rbd_namespace_remove", rbd_namespace_remove(io, "compat_ns"), 0);
    expect("rbd_namespace_remove(again)", rbd_namespace_remove(io, "compat_ns"), -ENOENT);
    rados_ioctx_destroy(ns);

    /* Pool metadata and configuration overrides. */
    expect("rbd_pool_metadata_set", rbd_pool_metadata_set(io, "compat_key", "value"), 0);
    n = sizeof buf;
    expect("rbd_pool_metadata_get", rbd_pool_metadata_get(io, "compat_key", buf, &n), 0);
    expect("rbd_pool_metadata_get value", strcmp(buf, "value"), 0);
    n = 0;
    expect("rbd_pool_metadata_get(no room)", rbd_pool_metadata_get(io, "compat_key", buf, &n), -ERANGE);
    expect("rbd_pool_metadata_get needed", (long long)n, 6);
    n = sizeof buf;
    expect("rbd_pool_metadata_get(missing)", rbd_pool_metadata_get(io, "compat_none", buf, &n), -ENOENT);
    expect("rbd_pool_metadata_set(conf)", rbd_pool_metadata_set(io, "conf_rbd_cache", "false"), 0);
    expect("rbd_pool_metadata_set(bad value)", rbd_pool_metadata_set(io, "conf_rbd_cache", "maybe"), -EINVAL);
    expect("rbd_pool_metadata_set(no option)", rbd_pool_metadata_set(io, "conf_no_such", "1"), -EINVAL);
    expect("rbd_pool_metadata_set(not for pools)", rbd_pool_metadata_set(io, "conf_rbd_default_pool", "x"), -EINVAL);
    char keys[4096], vals[4096];
    size_t klen = 0, vlen = 0;
    expect("rbd_pool_metadata_list(no room)", rbd_pool_metadata_list(io, "", 0, keys, &klen, vals, &vlen), -ERANGE);
    klen = sizeof keys;
    vlen = sizeof vals;
    expect("rbd_pool_metadata_list", rbd_pool_metadata_list(io, "", 0, keys, &klen, vals, &vlen), 0);
    int max = 0;
    expect("rbd_config_pool_list(no room)", rbd_config_pool_list(io, NULL, &max), -ERANGE);
    expect("rbd_config_pool_list count", max, 109);
    rbd_config_option_t *options = calloc(max, sizeof *options);
    expect("rbd_config_pool_list", rbd_config_pool_list(io, options, &max), 0);
    int from_pool = -1;
    for (int i = 0; i < max; i++)
        if (strcmp(options[i].name, "rbd_cache") == 0)
            from_pool = options[i].source == RBD_CONFIG_SOURCE_POOL && strcmp(options[i].value, "false") == 0;
    expect("rbd_config_pool_list rbd_cache from the pool", from_pool, 1);
    rbd_config_pool_list_cleanup(options, max);
    free(options);
    expect("rbd_pool_metadata_remove", rbd_pool_metadata_remove(io, "compat_key"), 0);
    expect("rbd_pool_metadata_remove(again)", rbd_pool_metadata_remove(io, "compat_key"), -ENOENT);
    must(rbd_pool_metadata_remove(io, "conf_rbd_cache"), "rbd_pool_metadata_remove conf");

    /* Pool stats: one more image, its size and its snapshot. */
    uint64_t before[4] = {0}, after[4] = {0};
    rbd_pool_stats_t stats;
    rbd_pool_stats_create(&stats);
    for (int i = 0; i < 4; i++)
        rbd_pool_stats_option_add_uint64(stats, i, &before[i]);
    expect("rbd_pool_stats_option_add_uint64(unknown)", rbd_pool_stats_option_add_uint64(stats, 99, &before[0]), -ENOENT);
    expect("rbd_pool_stats_get", rbd_pool_stats_get(io, stats), 0);
    rbd_pool_stats_destroy(stats);

    /* Copies: data, geometry and snapshots. */
    must(rbd_create2(io, "compat_cp_src", 10 << 20, 1 | 4 | 8 | 16 | 32, &order), "rbd_create2 compat_cp_src");
    must(rbd_open(io, "compat_cp_src", &img, NULL), "rbd_open compat_cp_src");
    memset(buf, 'a', sizeof buf);
    rbd_write(img, 0, sizeof buf, buf);
    rbd_write(img, 9 << 20, sizeof buf, buf);
    must(rbd_snap_create(img, "snap1"), "rbd_snap_create snap1");
    memset(buf, 'b', sizeof buf);
    rbd_write(img, 0, sizeof buf, buf);
    rbd_flush(img);
    rbd_pool_stats_create(&stats);
    for (int i = 0; i < 4; i++)
        rbd_pool_stats_option_add_uint64(stats, i, &after[i]);
    rbd_pool_stats_get(io, stats);
    rbd_pool_stats_destroy(stats);
    expect("rbd_pool_stats images", (long long)(after[0] - before[0]), 1);
    expect("rbd_pool_stats provisioned", (long long)(after[1] - before[1]), 10 << 20);
    expect("rbd_pool_stats snapshots", (long long)(after[3] - before[3]), 1);

    pool_progress_calls = 0;
    expect("rbd_copy_with_progress", rbd_copy_with_progress(img, io, "compat_cp_dst", pool_progress, NULL), 0);
    expect("rbd_copy progress called", pool_progress_calls > 0, 1);
    expect("rbd_copy(exists)", rbd_copy(img, io, "compat_cp_dst"), -EEXIST);
    rbd_image_options_t opts;
    rbd_image_options_create(&opts);
    rbd_image_options_set_uint64(opts, RBD_IMAGE_OPTION_ORDER, 20);
    expect("rbd_copy3(object smaller than stripe unit)", rbd_copy3(img, io, "compat_cp_dst3", opts), -EINVAL);
    uint64_t value = 0;
    rbd_image_options_get_uint64(opts, RBD_IMAGE_OPTION_STRIPE_COUNT, &value);
    expect("rbd_copy3 fills in stripe count", (long long)value, 1);
    rbd_image_options_set_uint64(opts, RBD_IMAGE_OPTION_STRIPE_UNIT, 1 << 20);
    expect("rbd_copy3", rbd_copy3(img, io, "compat_cp_dst3", opts), 0);
    rbd_image_options_destroy(opts);
    rbd_image_t dst;
    rbd_image_info_t st;
    must(rbd_open(io, "compat_cp_dst", &dst, NULL), "rbd_open compat_cp_dst");
    char rb[4] = {0};
    rbd_read(dst, 0, 4, rb);
    expect("rbd_copy data", memcmp(rb, "bbbb", 4), 0);
    rbd_read(dst, 9 << 20, 4, rb);
    expect("rbd_copy data at 9 MiB", memcmp(rb, "aaaa", 4), 0);
    rbd_stat(dst, &st, sizeof st);
    expect("rbd_copy size", (long long)st.size, 10 << 20);
    rbd_snap_info_t snaps[4];
    int nsnaps = 4;
    expect("rbd_copy snapshots", rbd_snap_list(dst, snaps, &nsnaps), 0);
    rbd_snap_list_end(snaps);
    rbd_close(dst);
    must(rbd_open(io, "compat_cp_dst3", &dst, NULL), "rbd_open compat_cp_dst3");
    rbd_stat(dst, &st, sizeof st);
    expect("rbd_copy3 order", st.order, 20);
    rbd_close(dst);
    rbd_image_options_create(&opts);
    expect("rbd_deep_copy", rbd_deep_copy(img, io, "compat_cp_deep", opts), 0);
    rbd_image_options_destroy(opts);
    must(rbd_open(io, "compat_cp_deep", &dst, NULL), "rbd_open compat_cp_deep");
    nsnaps = 4;
    expect("rbd_deep_copy snapshots", rbd_snap_list(dst, snaps, &nsnaps), 1);
    expect("rbd_deep_copy snapshot name", strcmp(snaps[0].name, "snap1"), 0);
    rbd_snap_list_end(snaps);
    rbd_read(dst, 0, 4, rb);
    expect("rbd_deep_copy head", memcmp(rb, "bbbb", 4), 0);
    rbd_snap_set(dst, "snap1");
    rbd_read(dst, 0, 4, rb);
    expect("rbd_deep_copy snapshot data", memcmp(rb, "aaaa", 4), 0);
    rbd_snap_set(dst, NULL);
    rbd_snap_remove(dst, "snap1");
    rbd_close(dst);

    /* Children of snap1, directly and once the clone is in the trash. */
    must(rbd_snap_protect(img, "snap1"), "rbd_snap_protect");
    must(rbd_clone(io, "compat_cp_src", "snap1", io, "compat_child", 1, &order), "rbd_clone");
    rbd_snap_set(img, "snap1");
    size_t plen = 0, ilen = 0;
    expect("rbd_list_children(no room)", rbd_list_children(img, NULL, &plen, NULL, &ilen), -ERANGE);
    expect("rbd_list_children pools length", (long long)plen, 4);
    char pools[64], images[64];
    plen = ilen = 64;
    expect("rbd_list_children", rbd_list_children(img, pools, &plen, images, &ilen), 1);
    expect("rbd_list_children name", strcmp(images, "compat_child"), 0);
    int maxc = 0;
    expect("rbd_list_children2(no room)", rbd_list_children2(img, NULL, &maxc), -ERANGE);
    expect("rbd_list_children2 wants a terminator", maxc, 2);
    rbd_child_info_t children[4];
    maxc = 4;
    expect("rbd_list_children2", rbd_list_children2(img, children, &maxc), 1);
    expect("rbd_list_children2 leaves the count", maxc, 4);
    expect("rbd_list_children2 terminator", children[1].image_name == NULL, 1);
    rbd_list_children_cleanup(children, 1);
    rbd_linked_image_spec_t specs[4];
    n = 0;
    expect("rbd_list_children3(no room)", rbd_list_children3(img, NULL, &n), -ERANGE);
    n = 4;
    expect("rbd_list_children3", rbd_list_children3(img, specs, &n), 0);
    expect("rbd_list_children3 count", (long long)n, 1);
    expect("rbd_list_children3 name", strcmp(specs[0].image_name, "compat_child"), 0);
    rbd_linked_image_spec_list_cleanup(specs, n);
    expect("rbd_trash_move(clone)", rbd_trash_move(io, "compat_child", 0), 0);
    n = 4;
    expect("rbd_list_descendants", rbd_list_descendants(img, specs, &n), 0);
    expect("rbd_list_descendants trash", n == 1 && specs[0].trash, 1);
    rbd_linked_image_spec_list_cleanup(specs, n);
    plen = ilen = 64;
    expect("rbd_list_children(trashed clone)", rbd_list_children(img, pools, &plen, images, &ilen), 0);
    trash_id(io, "compat_child", id, sizeof id);
    expect("rbd_trash_remove(clone)", rbd_trash_remove(io, id, true), 0);
    rbd_snap_set(img, NULL);
    must(rbd_snap_unprotect(img, "snap1"), "rbd_snap_unprotect");
    must(rbd_snap_remove(img, "snap1"), "rbd_snap_remove snap1");
    rbd_close(img);
    pool_progress_calls = 0;
    expect("rbd_remove_with_progress", rbd_remove_with_progress(io, "compat_cp_src", pool_progress, NULL), 0);
    expect("rbd_remove progress called", pool_progress_calls > 0, 1);
    must(rbd_remove(io, "compat_cp_dst"), "rbd_remove compat_cp_dst");
    must(rbd_remove(io, "compat_cp_dst3"), "rbd_remove compat_cp_dst3");
    must(rbd_remove(io, "compat_cp_deep"), "rbd_remove compat_cp_deep");
}

/* Mirroring, groups, live migration and quiesce on a pool and image where
 * they are unused: what librbd answers (librbdrs reads the same state and
 * refuses to turn the features on; those writes are not checked here). */
static void quiesce_cb(void *arg) { (void)arg; }

static void check_unused_features(rados_t cluster, rados_ioctx_t io)
{
    char name[64], buf[256];
    size_t len, n;
    int max;
    rbd_image_t image;
    rbd_completion_t c;
    int order = 22;

    rbd_mirror_mode_t mode = 9;
    expect("rbd_mirror_mode_get", rbd_mirror_mode_get(io, &mode), 0);
    expect("rbd_mirror_mode_get mode", mode, RBD_MIRROR_MODE_DISABLED);
    expect("rbd_mirror_mode_set disabled", rbd_mirror_mode_set(io, RBD_MIRROR_MODE_DISABLED), 0);
    expect("rbd_mirror_mode_set unknown mode", rbd_mirror_mode_set(io, 7), -EINVAL);
    len = sizeof buf;
    expect("rbd_mirror_uuid_get", rbd_mirror_uuid_get(io, buf, &len), -ENOENT);
    if (!local_store) {
        len = sizeof buf;
        expect("rbd_mirror_site_name_get (the fsid)", rbd_mirror_site_name_get(cluster, buf, &len), 0);
        expect("rbd_mirror_site_name_get length", len, 37);
        len = 1;
        expect("rbd_mirror_site_name_get short", rbd_mirror_site_name_get(cluster, buf, &len), -ERANGE);
    }
    len = sizeof buf;
    expect("rbd_mirror_peer_bootstrap_create", rbd_mirror_peer_bootstrap_create(io, buf, &len), -EINVAL);
    expect("rbd_mirror_peer_bootstrap_import garbage",
           rbd_mirror_peer_bootstrap_import(io, RBD_MIRROR_PEER_DIRECTION_RX_TX, "garbage"), -EINVAL);
    expect("rbd_mirror_peer_bootstrap_import bad direction", rbd_mirror_peer_bootstrap_import(io, 9, "e30="), -EINVAL);
    rbd_mirror_peer_site_t sites[2];
    max = 2;
    expect("rbd_mirror_peer_site_list", rbd_mirror_peer_site_list(io, sites, &max), 0);
    expect("rbd_mirror_peer_site_list count", max, 0);
    rbd_mirror_peer_site_list_cleanup(sites, max);
    rbd_mirror_peer_t peers[2];
    max = 2;
    expect("rbd_mirror_peer_list", rbd_mirror_peer_list(io, peers, &max), 0);
    expect("rbd_mirror_peer_list count", max, 0);
    expect("rbd_mirror_peer_site_remove unknown", rbd_mirror_peer_site_remove(io, "nouuid"), 0);
    expect("rbd_mirror_peer_remove unknown", rbd_mirror_peer_remove(io, "nouuid"), 0);
    expect("rbd_mirror_peer_site_set_name unknown", rbd_mirror_peer_site_set_name(io, "nouuid", "x"), -ENOENT);
    expect("rbd_mirror_peer_site_set_client_name unknown", rbd_mirror_peer_site_set_client_name(io, "nouuid", "client.x"), -ENOENT);
    expect("rbd_mirror_peer_site_set_direction unknown",
           rbd_mirror_peer_site_set_direction(io, "nouuid", RBD_MIRROR_PEER_DIRECTION_RX), -ENOENT);
    expect("rbd_mirror_peer_set_client unknown", rbd_mirror_peer_set_client(io, "nouuid", "client.x"), -ENOENT);
    expect("rbd_mirror_peer_set_cluster unknown", rbd_mirror_peer_set_cluster(io, "nouuid", "x"), -ENOENT);
    char keys[64], vals[64];
    size_t kl = 64, vl = 64, kv = 0;
    expect("rbd_mirror_peer_site_get_attributes unknown",
           rbd_mirror_peer_site_get_attributes(io, "nouuid", keys, &kl, vals, &vl, &kv), -ENOENT);
    expect("rbd_mirror_peer_site_set_attributes unknown",
           rbd_mirror_peer_site_set_attributes(io, "nouuid", "mon_host", "x", 1), -ENOENT);
    expect("rbd_mirror_peer_site_add with a short uuid buffer",
           rbd_mirror_peer_site_add(io, buf, 2, RBD_MIRROR_PEER_DIRECTION_RX_TX, "site", "client.x"), -E2BIG);
    expect("rbd_mirror_peer_site_add with mirroring disabled",
           rbd_mirror_peer_site_add(io, buf, sizeof buf, RBD_MIRROR_PEER_DIRECTION_RX_TX, "site", "client.x"), -EINVAL);
    expect("rbd_mirror_peer_add with mirroring disabled", rbd_mirror_peer_add(io, buf, sizeof buf, "site", "client.x"), -EINVAL);
    rbd_mirror_image_status_state_t states[8];
    int counts[8];
    len = 8;
    expect("rbd_mirror_image_status_summary", rbd_mirror_image_status_summary(io, states, counts, &len), 0);
    expect("rbd_mirror_image_status_summary states", len, 0);
    char *ids[4], *instances[4];
    rbd_mirror_image_global_status_t globals[4];
    n = 4;
    expect("rbd_mirror_image_global_status_list", rbd_mirror_image_global_status_list(io, "", 4, ids, globals, &n), 0);
    expect("rbd_mirror_image_global_status_list count", n, 0);
    n = 4;
    expect("rbd_mirror_image_instance_id_list", rbd_mirror_image_instance_id_list(io, "", 4, ids, instances, &n), 0);
    expect("rbd_mirror_image_instance_id_list count", n, 0);
    rbd_mirror_image_mode_t modes[4];
    rbd_mirror_image_info_t infos[4];
    n = 4;
    expect("rbd_mirror_image_info_list", rbd_mirror_image_info_list(io, NULL, "", 4, ids, modes, infos, &n), 0);
    expect("rbd_mirror_image_info_list count", n, 0);

    snprintf(name, sizeof name, "compat-unused-%d", (int)getpid());
    must(rbd_create(io, name, 4 << 20, &order), "rbd_create");
    must(rbd_open(io, name, &image, NULL), "rbd_open");
    rbd_mirror_image_info_t info;
    expect("rbd_mirror_image_get_info", rbd_mirror_image_get_info(image, &info, sizeof info), 0);
    expect("rbd_mirror_image_get_info state", info.state, RBD_MIRROR_IMAGE_DISABLED);
    expect("rbd_mirror_image_get_info primary", info.primary, 0);
    expect("rbd_mirror_image_get_info global id is empty", strlen(info.global_id), 0);
    rbd_mirror_image_get_info_cleanup(&info);
    expect("rbd_mirror_image_get_info wrong size", rbd_mirror_image_get_info(image, &info, 4), -ERANGE);
    rbd_mirror_image_mode_t image_mode = 9;
    expect("rbd_mirror_image_get_mode", rbd_mirror_image_get_mode(image, &image_mode), 0);
    expect("rbd_mirror_image_get_mode mode", image_mode, RBD_MIRROR_IMAGE_MODE_JOURNAL);
    rbd_mirror_image_global_status_t global;
    expect("rbd_mirror_image_get_global_status", rbd_mirror_image_get_global_status(image, &global, sizeof global), 0);
    expect("rbd_mirror_image_get_global_status name", strcmp(global.name, name), 0);
    expect("rbd_mirror_image_get_global_status sites", global.site_statuses_count, 1);
    expect("rbd_mirror_image_get_global_status local state", global.site_statuses[0].state, MIRROR_IMAGE_STATUS_STATE_UNKNOWN);
    expect("rbd_mirror_image_get_global_status \"status not found\"",
           strcmp(global.site_statuses[0].description, "status not found"), 0);
    rbd_mirror_image_global_status_cleanup(&global);
    len = sizeof buf;
    expect("rbd_mirror_image_get_instance_id", rbd_mirror_image_get_instance_id(image, buf, &len), -EINVAL);
    expect("rbd_mirror_image_enable2 in a disabled pool", rbd_mirror_image_enable2(image, RBD_MIRROR_IMAGE_MODE_SNAPSHOT), -EINVAL);
    expect("rbd_mirror_image_disable in a disabled pool", rbd_mirror_image_disable(image, false), -EINVAL);
    expect("rbd_mirror_image_promote", rbd_mirror_image_promote(image, false), -ENOENT);
    expect("rbd_mirror_image_demote", rbd_mirror_image_demote(image), -EINVAL);
    expect("rbd_mirror_image_resync", rbd_mirror_image_resync(image), -ENOENT);
    uint64_t snap_id = 0;
    expect("rbd_mirror_image_create_snapshot", rbd_mirror_image_create_snapshot(image, &snap_id), -EINVAL);
    c = completion();
    expect("rbd_aio_mirror_image_promote", rbd_aio_mirror_image_promote(image, false, c), 0);
    expect("rbd_aio_mirror_image_promote result", aio_result(c), -ENOENT);
    c = completion();
    expect("rbd_aio_mirror_image_get_mode", rbd_aio_mirror_image_get_mode(image, &image_mode, c), 0);
    expect("rbd_aio_mirror_image_get_mode result", aio_result(c), 0);
    c = completion();
    expect("rbd_aio_mirror_image_create_snapshot", rbd_aio_mirror_image_create_snapshot(image, 0, &snap_id, c), 0);
    expect("rbd_aio_mirror_image_create_snapshot result", aio_result(c), -EINVAL);

    rbd_group_info_t group;
    expect("rbd_get_group", rbd_get_group(image, &group, sizeof group), 0);
    expect("rbd_get_group pool", group.pool, -1);
    expect("rbd_get_group name is empty", strlen(group.name), 0);
    expect("rbd_group_info_cleanup", rbd_group_info_cleanup(&group, sizeof group), 0);
    expect("rbd_get_group wrong size", rbd_get_group(image, &group, 4), -ERANGE);
    len = sizeof buf;
    expect("rbd_group_list", rbd_group_list(io, buf, &len), 0);
    len = 0;
    expect("rbd_group_list NULL buffer", rbd_group_list(io, NULL, &len), -EINVAL);
    expect("rbd_group_remove missing", rbd_group_remove(io, "nogroup"), 0);
    expect("rbd_group_rename missing", rbd_group_rename(io, "nogroup", "nogroup2"), -ENOENT);
    expect("rbd_group_image_add missing group", rbd_group_image_add(io, "nogroup", io, name), -ENOENT);
    expect("rbd_group_image_remove missing group", rbd_group_image_remove(io, "nogroup", io, name), -ENOENT);
    expect("rbd_group_image_remove_by_id missing group", rbd_group_image_remove_by_id(io, "nogroup", io, "abc"), -ENOENT);
    rbd_group_image_info_t members[2];
    memset(members, 0, sizeof members);
    n = 2;
    expect("rbd_group_image_list missing group", rbd_group_image_list(io, "nogroup", members, sizeof members[0], &n), 0);
    expect("rbd_group_image_list count", n, 0);
    n = 2;
    expect("rbd_group_image_list wrong size", rbd_group_image_list(io, "nogroup", members, 3, &n), -ERANGE);
    rbd_group_snap_info_t gsnaps[2];
    memset(gsnaps, 0, sizeof gsnaps);
    n = 2;
    expect("rbd_group_snap_list missing group", rbd_group_snap_list(io, "nogroup", gsnaps, sizeof gsnaps[0], &n), 0);
    expect("rbd_group_snap_list count", n, 0);
    expect("rbd_group_snap_create missing group", rbd_group_snap_create(io, "nogroup", "s"), -ENOENT);
    expect("rbd_group_snap_create2 unknown flags", rbd_group_snap_create2(io, "nogroup", "s", 1 << 10), -EINVAL);
    expect("rbd_group_snap_remove missing group", rbd_group_snap_remove(io, "nogroup", "s"), -ENOENT);
    expect("rbd_group_snap_rename missing group", rbd_group_snap_rename(io, "nogroup", "s", "t"), -ENOENT);
    expect("rbd_group_snap_rollback missing group", rbd_group_snap_rollback(io, "nogroup", "s"), -ENOENT);
    expect("rbd_group_image_list_cleanup wrong size", rbd_group_image_list_cleanup(members, 3, 0), -ERANGE);
    expect("rbd_group_snap_list_cleanup", rbd_group_snap_list_cleanup(gsnaps, sizeof gsnaps[0], 0), 0);
    expect("rbd_group_create with an empty name", rbd_group_create(io, ""), -EINVAL);

    must(rbd_snap_create(image, "user"), "rbd_snap_create");
    rbd_snap_info_t snaps[2];
    max = 2;
    must(rbd_snap_list(image, snaps, &max), "rbd_snap_list");
    uint64_t user_snap = snaps[0].id;
    rbd_snap_list_end(snaps);
    rbd_snap_group_namespace_t gns;
    rbd_snap_mirror_namespace_t mns;
    expect("rbd_snap_get_group_namespace of a user snapshot",
           rbd_snap_get_group_namespace(image, user_snap, &gns, sizeof gns), -EINVAL);
    expect("rbd_snap_get_group_namespace of no snapshot", rbd_snap_get_group_namespace(image, 12345, &gns, sizeof gns), -ENOENT);
    expect("rbd_snap_get_mirror_namespace of a user snapshot",
           rbd_snap_get_mirror_namespace(image, user_snap, &mns, sizeof mns), -EINVAL);
    expect("rbd_snap_get_mirror_namespace wrong size", rbd_snap_get_mirror_namespace(image, user_snap, &mns, 4), -ERANGE);
    must(rbd_snap_remove(image, "user"), "rbd_snap_remove");

    len = sizeof buf;
    expect("rbd_get_migration_source_spec", rbd_get_migration_source_spec(image, buf, &len), -EINVAL);
    rbd_image_migration_status_t mstatus;
    expect("rbd_migration_status", rbd_migration_status(io, name, &mstatus, sizeof mstatus), -EINVAL);
    expect("rbd_migration_status of no image", rbd_migration_status(io, "noimage", &mstatus, sizeof mstatus), -ENOENT);
    expect("rbd_migration_status wrong size", rbd_migration_status(io, name, &mstatus, 4), -ERANGE);
    expect("rbd_migration_execute", rbd_migration_execute(io, name), -EINVAL);
    expect("rbd_migration_abort", rbd_migration_abort(io, name), -EINVAL);
    expect("rbd_migration_commit", rbd_migration_commit(io, name), -EINVAL);
    expect("rbd_migration_commit of no image", rbd_migration_commit(io, "noimage"), -ENOENT);
    rbd_image_options_t opts;
    rbd_image_options_create(&opts);
    expect("rbd_migration_prepare of no image", rbd_migration_prepare(io, "noimage", io, "dest", opts), -ENOENT);
    expect("rbd_migration_prepare_import not JSON", rbd_migration_prepare_import("garbage", io, "dest", opts), -EBADMSG);
    expect("rbd_migration_prepare_import no type", rbd_migration_prepare_import("{}", io, "dest", opts), -EINVAL);
    rbd_image_options_destroy(opts);

    uint64_t handle = 0;
    expect("rbd_quiesce_watch", rbd_quiesce_watch(image, quiesce_cb, quiesce_cb, NULL, &handle), 0);
    expect("rbd_quiesce_unwatch", rbd_quiesce_unwatch(image, handle), 0);

    must(rbd_close(image), "rbd_close");
    must(rbd_remove(io, name), "rbd_remove");
}

static int progress_calls;
static uint64_t progress_total;

static int on_progress(uint64_t offset, uint64_t total, void *arg)
{
    (void)offset;
    (void)arg;
    progress_calls++;
    progress_total = total;
    return 0;
}

/* Image-handle calls: open by id, names, features, snapshots by id,
 * progress, metadata, feature updates (answers checked against librbd
 * 16.2.15). */
static void check_image_handle_calls(rados_ioctx_t io)
{
    rbd_image_options_t opts;
    rbd_image_options_create(&opts);
    rbd_image_options_set_uint64(opts, RBD_IMAGE_OPTION_FEATURES, RBD_FEATURE_LAYERING);
    rbd_image_options_set_uint64(opts, RBD_IMAGE_OPTION_ORDER, 20);
    must(rbd_create4(io, "compat-handle", 8 << 20, opts), "rbd_create4 compat-handle");
    rbd_image_options_destroy(opts);
    rbd_image_t img, other = NULL;
    char id[64], text[256];
    size_t len = 2;
    uint64_t value = 0;
    must(rbd_open(io, "compat-handle", &img, NULL), "rbd_open compat-handle");
    must(rbd_get_id(img, id, sizeof id), "rbd_get_id");
    expect("rbd_open_by_id of a missing id", rbd_open_by_id(io, "nosuchid", &other, NULL), -ENOENT);
    expect("rbd_open_by_id", rbd_open_by_id(io, id, &other, NULL), 0);
    expect("rbd_get_name too small", rbd_get_name(other, text, &len), -ERANGE);
    expect("  needs", len, 14);
    expect("rbd_close", rbd_close(other), 0);
    rbd_completion_t c = completion();
    other = NULL;
    expect("rbd_aio_open of a missing image", rbd_aio_open(io, "nosuch", &other, NULL, c), 0);
    expect("  completes", aio_result(c), -ENOENT);
    expect("  leaves the handle", other == NULL, 1);
    c = completion();
    expect("rbd_aio_open_by_id_read_only", rbd_aio_open_by_id_read_only(io, id, &other, NULL, c), 0);
    expect("  completes", aio_result(c), 0);
    expect("  read-only", rbd_resize2(other, 1 << 20, true, NULL, NULL), -EROFS);
    c = completion();
    expect("rbd_aio_close", rbd_aio_close(other, c), 0);
    expect("  completes", aio_result(c), 0);
    len = sizeof text;
    expect("rbd_features_to_string", rbd_features_to_string(61, text, &len), 0);
    expect("  names", strcmp(text, "deep-flatten,exclusive-lock,fast-diff,layering,object-map"), 0);
    expect("rbd_features_from_string", rbd_features_from_string("layering,layering", &value), 0);
    expect("  adds each", value, 2);
    expect("rbd_features_from_string internal", rbd_features_from_string("256", &value), -EINVAL);
    expect("rbd_get_op_features", rbd_get_op_features(img, &value), 0);
    expect("rbd_snap_create", rbd_snap_create(img, "one"), 0);
    expect("rbd_snap_get_id of a missing one", rbd_snap_get_id(img, "none", &value), -ENOENT);
    expect("  stores CEPH_NOSNAP", value == (uint64_t)-2, 1);
    expect("rbd_snap_get_id", rbd_snap_get_id(img, "one", &value), 0);
    rbd_snap_namespace_type_t kind = 9;
    expect("rbd_snap_get_namespace_type", rbd_snap_get_namespace_type(img, value, &kind), 0);
    expect("  user", kind, RBD_SNAP_NAMESPACE_TYPE_USER);
    expect("rbd_snap_get_trash_namespace of a user one", rbd_snap_get_trash_namespace(img, value, text, 64), -EINVAL);
    expect("rbd_snap_set_limit below the count", rbd_snap_set_limit(img, 0), -ERANGE);
    expect("rbd_snap_rename onto itself", rbd_snap_rename(img, "one", "one"), -EEXIST);
    expect("rbd_snap_rename", rbd_snap_rename(img, "one", "two"), 0);
    expect("rbd_resize2 refusing to shrink", rbd_resize2(img, 4 << 20, false, on_progress, NULL), -EINVAL);
    progress_calls = 0;
    expect("rbd_resize_with_progress", rbd_resize_with_progress(img, 4 << 20, on_progress, NULL), 0);
    expect("  called back", progress_calls > 0 && progress_total == 8, 1);
    expect("rbd_metadata_set conf_ of no option", rbd_metadata_set(img, "conf_bogus_opt", "1"), -EINVAL);
    expect("rbd_metadata_set conf_ bad value", rbd_metadata_set(img, "conf_rbd_cache", "maybe"), -EINVAL);
    expect("rbd_metadata_set", rbd_metadata_set(img, "conf_rbd_cache", "false"), 0);
    expect("rbd_metadata_remove of a missing key", rbd_metadata_remove(img, "nokey"), -ENOENT);
    size_t klen = 4, vlen = 4;
    char keys[64], vals[64];
    expect("rbd_metadata_list too small", rbd_metadata_list(img, "", 0, keys, &klen, vals, &vlen), -ERANGE);
    expect("  keys need", klen, 15);
    expect("  values need", vlen, 6);
    expect("rbd_update_features layering", rbd_update_features(img, RBD_FEATURE_LAYERING, 1), -EINVAL);
    expect("rbd_update_features object-map first", rbd_update_features(img, RBD_FEATURE_OBJECT_MAP, 1), -EINVAL);
    expect("rbd_update_features exclusive-lock", rbd_update_features(img, RBD_FEATURE_EXCLUSIVE_LOCK, 1), 0);
    expect("rbd_update_features object-map", rbd_update_features(img, RBD_FEATURE_OBJECT_MAP, 1), 0);
    must(rbd_get_flags(img, &value), "rbd_get_flags");
    expect("  flagged invalid", value, RBD_FLAG_OBJECT_MAP_INVALID | RBD_FLAG_FAST_DIFF_INVALID);
    expect("rbd_rebuild_object_map", rbd_rebuild_object_map(img, on_progress, NULL), 0);
    must(rbd_get_flags(img, &value), "rbd_get_flags");
    expect("  valid", value, 0);
    expect("rbd_update_features fast-diff off", rbd_update_features(img, RBD_FEATURE_FAST_DIFF, 0), 0);
    must(rbd_get_features(img, &value), "rbd_get_features");
    expect("  takes object-map too", value, RBD_FEATURE_LAYERING | RBD_FEATURE_EXCLUSIVE_LOCK);
    expect("rbd_sparsify of a bad size", rbd_sparsify(img, 1000), -EINVAL);
    expect("rbd_sparsify", rbd_sparsify(img, 4096), 0);
    must(rbd_snap_get_id(img, "two", &value), "rbd_snap_get_id two");
    expect("rbd_snap_remove_by_id", rbd_snap_remove_by_id(img, value), 0);
    expect("rbd_close", rbd_close(img), 0);
    expect("rbd_remove", rbd_remove(io, "compat-handle"), 0);
}
static void on_log(void *arg, const char *line, const char *who, uint64_t sec, uint64_t nsec, uint64_t seq,
                   const char *level, const char *msg)
{
    (void)arg, (void)line, (void)who, (void)sec, (void)nsec, (void)seq, (void)level, (void)msg;
}

/* Pool applications, object listing, locator keys, and the cluster-handle
 * calls python3-rados needs. */
static void check_applications_and_listing(rados_t cluster, rados_ioctx_t io)
{
    char buf[256], keys[64], vals[64];
    size_t len = 1, klen = sizeof keys, vlen = sizeof vals;
    expect("rados_application_list, short buffer", rados_application_list(io, buf, &len), -ERANGE);
    expect("  size: \"rbd\" and its NUL", len, 4);
    len = sizeof buf;
    expect("rados_application_list", rados_application_list(io, buf, &len), 0);
    expect("  rbd", strcmp(buf, "rbd"), 0);
    expect("rados_application_enable beside rbd, no force", rados_application_enable(io, "compat-app", 0), -EPERM);
    expect("rados_application_enable, force", rados_application_enable(io, "compat-app", 1), 0);
    expect("  again: fine", rados_application_enable(io, "compat-app", 0), 0);
    expect("rados_application_metadata_set", rados_application_metadata_set(io, "compat-app", "k", "val"), 0);
    expect("  on an app not enabled", rados_application_metadata_set(io, "compat-none", "k", "v"), -ENOENT);
    len = 2;
    expect("rados_application_metadata_get, short", rados_application_metadata_get(io, "compat-app", "k", buf, &len),
           -ERANGE);
    expect("  size", len, 4);
    expect("rados_application_metadata_get", rados_application_metadata_get(io, "compat-app", "k", buf, &len), 0);
    expect("  val", strcmp(buf, "val"), 0);
    expect("  no such key", rados_application_metadata_get(io, "compat-app", "x", buf, &len), -ENOENT);
    expect("rados_application_metadata_list",
           rados_application_metadata_list(io, "compat-app", keys, &klen, vals, &vlen), 0);
    expect("  k = val", klen == 2 && vlen == 4 && strcmp(keys, "k") == 0 && strcmp(vals, "val") == 0, 1);
    expect("rados_application_metadata_remove", rados_application_metadata_remove(io, "compat-app", "k"), 0);
    expect("  again: fine", rados_application_metadata_remove(io, "compat-app", "k"), 0);
    klen = vlen = sizeof keys;
    expect("  list: empty", rados_application_metadata_list(io, "compat-app", keys, &klen, vals, &vlen), 0);
    expect("  sizes 0", klen + vlen, 0);
    if (!local_store) {
        const char *cmd[] = {"{\"prefix\": \"osd pool application disable\", \"pool\": \"rbd\", "
                             "\"app\": \"compat-app\", \"yes_i_really_mean_it\": true}"};
        must(rados_mon_command(cluster, cmd, 1, "", 0, NULL, NULL, NULL, NULL), "application disable");
    }

    /* Listing a namespace of our own, and a locator key. */
    const char *names[] = {"compat-l1", "compat-l2", "compat-l3"};
    rados_ioctx_set_namespace(io, "compat-list");
    for (int i = 0; i < 3; i++)
        must(rados_write_full(io, names[i], "x", 1), "write");
    rados_ioctx_locator_set_key(io, "compat-key");
    must(rados_write_full(io, "compat-keyed", "y", 1), "write keyed");
    rados_ioctx_locator_set_key(io, NULL);
    expect("rados_read of a keyed object without its key", rados_read(io, "compat-keyed", buf, 1, 0), -ENOENT);
    rados_list_ctx_t lc;
    expect("rados_nobjects_list_open", rados_nobjects_list_open(io, &lc), 0);
    int found = 0, keyed = 0, others = 0, r;
    const char *entry, *key, *nspace;
    while ((r = rados_nobjects_list_next(lc, &entry, &key, &nspace)) == 0) {
        if (strcmp(nspace, "compat-list") != 0)
            others++;
        else if (strcmp(entry, "compat-keyed") == 0)
            keyed += key != NULL && strcmp(key, "compat-key") == 0;
        else
            found += strncmp(entry, "compat-l", 8) == 0 && key == NULL;
    }
    expect("rados_nobjects_list_next to the end", r, -ENOENT);
    expect("  the namespace's objects, keyed one with its key", found * 10 + keyed + others, 31);
    rados_nobjects_list_close(lc);
    rados_ioctx_set_namespace(io, LIBRADOS_ALL_NSPACES);
    expect("rados_nobjects_list_open, all namespaces", rados_nobjects_list_open(io, &lc), 0);
    found = 0;
    while (rados_nobjects_list_next(lc, &entry, NULL, &nspace) == 0)
        found += strcmp(nspace, "compat-list") == 0;
    expect("  ours among them", found, 4);
    rados_nobjects_list_close(lc);
    rados_ioctx_set_namespace(io, "compat-list");
    for (int i = 0; i < 3; i++)
        rados_remove(io, names[i]);
    rados_ioctx_locator_set_key(io, "compat-key");
    expect("rados_remove with the key", rados_remove(io, "compat-keyed"), 0);
    rados_ioctx_locator_set_key(io, "");
    rados_ioctx_set_namespace(io, NULL);

    /* The cluster handle: address, configuration, service, log. */
    char *addrs = NULL;
    expect("rados_getaddrs", rados_getaddrs(cluster, &addrs), 0);
    expect("  ip:port/nonce", addrs && strchr(addrs, ':') && strchr(addrs, '/'), 1);
    free(addrs);
    rados_t other;
    expect("rados_create_with_context(rados_cct)", rados_create_with_context(&other, rados_cct(cluster)), 0);
    expect("rados_ioctx_cct is the handle's", rados_ioctx_cct(io) == rados_cct(cluster), 1);
    must(rados_conf_set(cluster, "rados_osd_op_timeout", "17"), "conf_set");
    expect("  shares the configuration", rados_conf_get(other, "rados_osd_op_timeout", buf, sizeof buf), 0);
    expect("  17", atoi(buf), 17);
    rados_shutdown(other);
    expect("rados_service_register", rados_service_register(cluster, "compat", "d1", "k\0v\0"), 0);
    expect("  twice", rados_service_register(cluster, "compat", "d1", ""), -EEXIST);
    expect("rados_service_update_status", rados_service_update_status(cluster, "s\0ok\0"), 0);
    expect("rados_monitor_log, bad level", rados_monitor_log(cluster, "loud", on_log, NULL), -EINVAL);
    expect("rados_monitor_log, no callback: stop", rados_monitor_log(cluster, "info", NULL, NULL), 0);
    if (local_store) {
        expect("rados_inconsistent_pg_list: none", rados_inconsistent_pg_list(cluster, rados_ioctx_get_id(io), buf, 8), 1);
    }
}

/* Ops the OSD computes (checksums, attribute comparisons, cache pins),
 * listing cursors, and the smaller pool-context calls. */
static void check_osd_ops_and_cursors(rados_ioctx_t io)
{
    const char *oid = "compat-csum";
    char out[64], ns[8];
    uint32_t init = 0xffffffff;
    uint64_t init64 = 0, size = 9;
    time_t mtime;
    rados_remove(io, oid);
    must(rados_write_full(io, oid, "hello world, checksums!", 23), "write");
    expect("rados_checksum crc32c, whole object",
           rados_checksum(io, oid, LIBRADOS_CHECKSUM_TYPE_CRC32C, (char *)&init, 4, 0, 0, 0, out, sizeof out), 0);
    expect("  one checksum, as the OSD computes it", memcmp(out, "\x01\0\0\0\xb9\xce\x40\xe4", 8), 0);
    expect("rados_checksum xxhash32, 4-byte chunks of 20",
           rados_checksum(io, oid, LIBRADOS_CHECKSUM_TYPE_XXHASH32, (char *)&init, 4, 20, 0, 4, out, sizeof out), 0);
    expect("  five, the last right", out[0] == 5 && memcmp(out + 20, "\xf4\x9b\xd0\x39", 4) == 0, 1);
    expect("rados_checksum xxhash64",
           rados_checksum(io, oid, LIBRADOS_CHECKSUM_TYPE_XXHASH64, (char *)&init64, 8, 0, 0, 0, out, sizeof out), 0);
    expect("  value", memcmp(out, "\x01\0\0\0\x19\x35\x45\x6b\x12\xa7\x2b\x7d", 12), 0);
    expect("  chunks not dividing the length",
           rados_checksum(io, oid, LIBRADOS_CHECKSUM_TYPE_XXHASH64, (char *)&init64, 8, 10, 0, 3, out, sizeof out), -EINVAL);
    expect("  short initial value",
           rados_checksum(io, oid, LIBRADOS_CHECKSUM_TYPE_XXHASH64, (char *)&init64, 4, 0, 0, 0, out, sizeof out), -EINVAL);
    expect("  unknown type", rados_checksum(io, oid, 7, (char *)&init64, 8, 0, 0, 0, out, sizeof out), -EINVAL);
    expect("  short output", rados_checksum(io, oid, LIBRADOS_CHECKSUM_TYPE_CRC32C, (char *)&init, 4, 0, 0, 0, out, 4),
           -ERANGE);
    expect("  no object",
           rados_checksum(io, "compat-none", LIBRADOS_CHECKSUM_TYPE_CRC32C, (char *)&init, 4, 0, 0, 0, out, 64), -ENOENT);
    int prval = 9;
    rados_read_op_t r = rados_create_read_op();
    rados_read_op_checksum(r, LIBRADOS_CHECKSUM_TYPE_CRC32C, (char *)&init, 4, 0, 0, 0, out, 4, &prval);
    expect("rados_read_op_checksum, short output", rados_read_op_operate(r, io, oid, 0), 0);
    expect("  -ERANGE in prval", prval, -ERANGE);
    rados_release_read_op(r);

    must(rados_setxattr(io, oid, "a", "mmm", 3), "setxattr");
    struct { const char *v; uint8_t op; int want; } cmps[] = {
        {"mmm", LIBRADOS_CMPXATTR_OP_EQ, 1}, {"mmm", LIBRADOS_CMPXATTR_OP_NE, -ECANCELED},
        {"zzz", LIBRADOS_CMPXATTR_OP_GT, 1}, {"aaa", LIBRADOS_CMPXATTR_OP_GT, -ECANCELED},
        {"aaa", LIBRADOS_CMPXATTR_OP_LTE, 1}, {"mmm", 9, -EINVAL},
    };
    for (size_t i = 0; i < sizeof cmps / sizeof cmps[0]; i++) {
        r = rados_create_read_op();
        rados_read_op_cmpxattr(r, "a", cmps[i].op, cmps[i].v, strlen(cmps[i].v));
        char what[64];
        snprintf(what, sizeof what, "rados_read_op_cmpxattr %s op %d", cmps[i].v, cmps[i].op);
        expect(what, rados_read_op_operate(r, io, oid, 0), cmps[i].want);
        rados_release_read_op(r);
    }
    rados_write_op_t w = rados_create_write_op();
    rados_write_op_cmpxattr(w, "a", LIBRADOS_CMPXATTR_OP_EQ, "no", 2);
    rados_write_op_setxattr(w, "b", "1", 1);
    expect("rados_write_op_cmpxattr failing", rados_write_op_operate(w, io, oid, NULL, 0), -ECANCELED);
    rados_release_write_op(w);
    expect("  the write did not happen", rados_getxattr(io, oid, "b", out, sizeof out), -ENODATA);

    char *exec_out = NULL;
    size_t exec_len = 7;
    rados_xattrs_iter_t xit;
    int rx = 9;
    r = rados_create_read_op();
    rados_read_op_getxattrs(r, &xit, &rx);
    expect("rados_read_op_getxattrs", rados_read_op_operate(r, io, oid, 0), 0);
    rados_release_read_op(r);
    const char *name, *val;
    size_t len;
    rados_getxattrs_next(xit, &name, &val, &len);
    expect("  a = mmm", rx == 0 && name && strcmp(name, "a") == 0 && len == 3, 1);
    rados_getxattrs_end(xit);
    r = rados_create_read_op();
    rados_read_op_exec(r, "lock", "get_info", "", 0, &exec_out, &exec_len, &prval);
    expect("rados_read_op_exec with bad input", rados_read_op_operate(r, io, oid, 0), -EINVAL);
    rados_release_read_op(r);

    expect("rados_cache_pin outside a cache tier", rados_cache_pin(io, oid), -EINVAL);
    expect("rados_cache_unpin", rados_cache_unpin(io, "compat-none"), -EINVAL);
    must(rados_remove(io, oid), "remove");
    expect("rados_set_alloc_hint", rados_set_alloc_hint(io, oid, 4096, 4096), 0);
    expect("  creates the object", rados_stat(io, oid, &size, &mtime) == 0 && size == 0, 1);
    expect("rados_set_alloc_hint2", rados_set_alloc_hint2(io, oid, 4096, 4096, LIBRADOS_ALLOC_HINT_FLAG_SEQUENTIAL_WRITE),
           0);

    expect("rados_ioctx_get_namespace", rados_ioctx_get_namespace(io, ns, sizeof ns), 0);
    rados_ioctx_set_namespace(io, "12345678");
    expect("  too long", rados_ioctx_get_namespace(io, ns, sizeof ns), -ERANGE);
    rados_ioctx_set_namespace(io, NULL);
    expect("rados_ioctx_pool_set_auid", rados_ioctx_pool_set_auid(io, 1), -EOPNOTSUPP);
    expect("rados_ioctx_pool_get_auid", rados_ioctx_pool_get_auid(io, &size), -EOPNOTSUPP);
    expect("rados_objects_list_open (retired)", rados_objects_list_open(io, NULL), -EOPNOTSUPP);

    /* Cursors: the whole pool in two slices lists our objects once. */
    rados_ioctx_set_namespace(io, "compat-cursor");
    for (int i = 0; i < 10; i++) {
        char n[32];
        snprintf(n, sizeof n, "compat-c%d", i);
        must(rados_write_full(io, n, "x", 1), "write");
    }
    rados_object_list_cursor begin = rados_object_list_begin(io), end = rados_object_list_end(io);
    expect("rados_object_list_cursor_cmp begin < end", rados_object_list_cursor_cmp(io, begin, end), -1);
    expect("rados_object_list_is_end", rados_object_list_is_end(io, end) * 2 + rados_object_list_is_end(io, begin), 2);
    int listed = 0;
    for (int part = 0; part < 2; part++) {
        rados_object_list_cursor s = rados_object_list_begin(io), f = rados_object_list_begin(io);
        rados_object_list_slice(io, begin, end, part, 2, &s, &f);
        rados_object_list_cursor next = rados_object_list_begin(io);
        rados_object_list_item items[4];
        while (!rados_object_list_is_end(io, s) && rados_object_list_cursor_cmp(io, s, f) < 0) {
            int n = rados_object_list(io, s, f, 4, NULL, 0, items, &next);
            if (n < 0) {
                expect("rados_object_list", n, 0);
                break;
            }
            for (int i = 0; i < n; i++)
                listed += items[i].oid_length == 9 && memcmp(items[i].oid, "compat-c", 8) == 0;
            rados_object_list_free(n, items);
            rados_object_list_cursor t = s;
            s = next;
            next = t;
        }
        rados_object_list_cursor_free(io, s);
        rados_object_list_cursor_free(io, f);
        rados_object_list_cursor_free(io, next);
    }
    expect("rados_object_list over two slices: each once", listed, 10);
    rados_list_ctx_t lc;
    const char *entry, *first = NULL;
    char first_name[32] = "";
    must(rados_nobjects_list_open(io, &lc), "list open");
    expect("rados_nobjects_list_next", rados_nobjects_list_next(lc, &entry, NULL, NULL), 0);
    snprintf(first_name, sizeof first_name, "%s", entry);
    rados_object_list_cursor at;
    expect("rados_nobjects_list_get_cursor", rados_nobjects_list_get_cursor(lc, &at), 0);
    rados_nobjects_list_next(lc, &entry, NULL, NULL);
    rados_nobjects_list_seek_cursor(lc, at);
    rados_nobjects_list_next(lc, &first, NULL, NULL);
    expect("  seeking back to it lists it again", strcmp(first, first_name), 0);
    rados_nobjects_list_seek(lc, 0);
    rados_nobjects_list_next(lc, &first, NULL, NULL);
    expect("rados_nobjects_list_seek(0): from the start", strcmp(first, first_name), 0);
    rados_object_list_cursor_free(io, at);
    rados_nobjects_list_close(lc);
    for (int i = 0; i < 10; i++) {
        char n[32];
        snprintf(n, sizeof n, "compat-c%d", i);
        rados_remove(io, n);
    }
    rados_ioctx_set_namespace(io, NULL);
    rados_object_list_cursor_free(io, begin);
    rados_object_list_cursor_free(io, end);
    rados_remove(io, oid);
}

/* The remaining aio calls and the first-generation notify. */
static void check_more_aio(rados_ioctx_t io)
{
    const char *oid = "compat-aio-more";
    char buf[8];
    rados_remove(io, oid);
    must(rados_setxattr(io, oid, "a", "vvv", 3), "setxattr");
    rados_completion_t c = rados_completion();
    expect("rados_aio_cancel of a completion with no operation", rados_aio_cancel(io, c), 0);
    rados_aio_release(c);
    c = rados_completion();
    must(rados_aio_stat(io, oid, c, NULL, NULL), "rados_aio_stat");
    rados_aio_wait_for_complete(c);
    expect("rados_aio_cancel of a finished operation", rados_aio_cancel(io, c), 0);
    expect("  its result stands", rados_aio_get_return_value(c), 0);
    rados_aio_release(c);
    c = rados_completion();
    expect("rados_aio_getxattr", rados_aio_getxattr(io, oid, c, "a", buf, sizeof buf), 0);
    expect("  its length", aio_rados_result(c), 3);
    c = rados_completion();
    rados_aio_getxattr(io, oid, c, "a", buf, 2);
    expect("  short buffer", aio_rados_result(c), -ERANGE);
    c = rados_completion();
    rados_aio_getxattr(io, oid, c, "none", buf, sizeof buf);
    expect("  absent", aio_rados_result(c), -ENODATA);
    rados_xattrs_iter_t it;
    c = rados_completion();
    expect("rados_aio_getxattrs", rados_aio_getxattrs(io, oid, c, &it), 0);
    expect("  completes", aio_rados_result(c), 0);
    const char *name, *val;
    size_t len;
    rados_getxattrs_next(it, &name, &val, &len);
    expect("  a = vvv", name && strcmp(name, "a") == 0 && len == 3, 1);
    rados_getxattrs_end(it);
    c = rados_completion();
    rados_aio_getxattrs(io, "compat-none", c, &it);
    expect("  on no object (no iterator then)", aio_rados_result(c), -ENOENT);

    must(rados_lock_exclusive(io, oid, "l", "ck", "", NULL, 0), "lock");
    c = rados_completion();
    expect("rados_aio_unlock", rados_aio_unlock(io, oid, "l", "ck", c), 0);
    expect("  done", aio_rados_result(c), 0);
    c = rados_completion();
    rados_aio_unlock(io, oid, "l", "ck", c);
    expect("  not held", aio_rados_result(c), -ENOENT);

    rados_snap_t snap = 0;
    c = rados_completion();
    rados_aio_ioctx_selfmanaged_snap_create(io, &snap, c);
    expect("rados_aio_ioctx_selfmanaged_snap_create", aio_rados_result(c), 0);
    expect("  an id", snap > 0, 1);
    c = rados_completion();
    rados_aio_ioctx_selfmanaged_snap_remove(io, snap, c);
    expect("rados_aio_ioctx_selfmanaged_snap_remove", aio_rados_result(c), 0);

    expect("rados_notify, no watchers", rados_notify(io, oid, 0, "x", 1), 0);
    expect("  on no object", rados_notify(io, "compat-none", 0, "x", 1), -ENOENT);
    rados_remove(io, oid);
}

static int v1_notifications;

static void on_v1_notify(uint8_t opcode, uint64_t ver, void *arg)
{
    (void)opcode, (void)ver, (void)arg;
    v1_notifications++;
}

/* The first-generation watch: librados acks for the callback. */
static void check_watch_v1(rados_ioctx_t io)
{
    const char *oid = "compat-watch-v1";
    uint64_t handle = 0;
    must(rados_write_full(io, oid, "x", 1), "write");
    expect("rados_watch", rados_watch(io, oid, 0, &handle, on_v1_notify, NULL), 0);
    if (!local_store) { /* the embedded store delivers no notifications */
        expect("rados_notify to it: acked for the callback", rados_notify(io, oid, 0, "p", 1), 0);
        expect("  the callback ran once", v1_notifications, 1);
    }
    expect("rados_unwatch", rados_unwatch(io, oid, handle), 0);
    rados_remove(io, oid);
}

int main(int argc, char **argv)
{
    rados_t cluster;
    rados_ioctx_t io;
    if (argc == 3 && strcmp(argv[1], "--local") == 0) {
        local_store = argv[2];
    } else if (argc == 2) {
        conf = argv[1];
    } else {
        fprintf(stderr, "usage: %s CEPH_CONF | --local STORE_DIR\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    check_parse_argv_remainder();
    if (!local_store)
        check_connect_errors();
    must(connect_with(&cluster, NULL, NULL), "rados_connect");
    must(rados_conf_set(cluster, "rbd_cache", "true"), "rbd_cache");
    must(rados_conf_set(cluster, "rbd_cache_writethrough_until_flush", "false"), "writeback at once");
    /* check_locks breaks its own lock: librbd would blocklist this client. */
    must(rados_conf_set(cluster, "rbd_blocklist_on_break_lock", "false"), "no blocklisting");
    if (!local_store) {
        check_new_pool(cluster);
        check_pools_and_commands(cluster);
    } else {
        check_local_capacity(cluster);
    }
    must(rados_ioctx_create(cluster, "rbd", &io), "rados_ioctx_create rbd");
    check_pool_stat(io);
    check_selfmanaged_snaps(io);
    check_pool_snaps(cluster, io);
    check_object_ops(io);
    check_iterators(io);
    check_applications_and_listing(cluster, io);
    check_osd_ops_and_cursors(io);
    check_more_aio(io);
    check_watch_v1(io);
    if (!local_store)
        check_targeted_commands(cluster);
    check_image_calls(io);
    check_errors(cluster, io);
    check_fua(cluster, io);
    check_locks(io);
    check_watch_and_locks(cluster, io);
    check_unused_features(cluster, io);
    check_image_handle_calls(io);
    if (!local_store)
        check_two_opens(io); /* the embedded store delivers no notifications */
    check_pool_level(cluster, io);
    rados_ioctx_destroy(io);
    rados_shutdown(cluster);
    printf("%s: %d failed\n", failures ? "FAILED" : "passed", failures);
    return failures ? 1 : 0;
}
