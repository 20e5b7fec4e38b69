/* Holds an image open and keeps writing to it while other clients manage
 * it; reports what it sees (lock ownership, size, snapshots) before and
 * after, without reopening. Used by tests/cluster/peers.sh.
 *
 *   holder CONF POOL IMAGE SECONDS READYFILE
 */
#include <errno.h>
#include <rados/librados.h>
#include <rbd/librbd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void report(rbd_image_t image, const char *when) {
    uint64_t size = 0;
    int owner = -1;
    rbd_snap_info_t snaps[16];
    int max = 16;
    rbd_get_size(image, &size);
    rbd_is_exclusive_lock_owner(image, &owner);
    int n = rbd_snap_list(image, snaps, &max);
    printf("%s: owner=%d size=%llu snaps=", when, owner, (unsigned long long)size);
    for (int i = 0; i < n; i++)
        printf("%s%s", i ? "," : "", snaps[i].name);
    printf("\n");
    if (n >= 0)
        rbd_snap_list_end(snaps);
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: holder CONF POOL IMAGE SECONDS READYFILE\n");
        return 2;
    }
    rados_t cluster;
    rados_ioctx_t io;
    rbd_image_t image;
    int r;
    if ((r = rados_create(&cluster, NULL)) < 0 || (r = rados_conf_read_file(cluster, argv[1])) < 0 ||
        (r = rados_connect(cluster)) < 0 || (r = rados_ioctx_create(cluster, argv[2], &io)) < 0 ||
        (r = rbd_open(io, argv[3], &image, NULL)) < 0) {
        fprintf(stderr, "holder: setup failed: %s\n", strerror(-r));
        return 1;
    }
    char block[4096];
    memset(block, 0xaa, sizeof block);
    if ((r = rbd_write(image, 0, sizeof block, block)) != sizeof block) {
        fprintf(stderr, "holder: first write: %d\n", r);
        return 1;
    }
    report(image, "before");
    FILE *ready = fopen(argv[5], "w");
    if (ready)
        fclose(ready);
    int seconds = atoi(argv[4]);
    for (int i = 0; i < seconds * 4; i++) {
        usleep(250000);
        memset(block, i & 0xff, sizeof block);
        if ((r = rbd_write(image, 8192, sizeof block, block)) != sizeof block) {
            fprintf(stderr, "holder: write %d: %d\n", i, r);
            return 1;
        }
    }
    report(image, "after");
    rbd_close(image);
    rados_ioctx_destroy(io);
    rados_shutdown(cluster);
    return 0;
}
