/*
 * nfs-bench-client: the write side of `npm run bench:nfs`, through libnfs (libnfs-dev) like the
 * read side (nfs-cat). libnfs 4.0's NFSv4 WRITE encoder fails above ~3.9 KB per call, so writes go
 * in 3,584-byte pieces, 32 in flight; the same for every server compared.
 *
 *   nfs-bench-client URL write PATH BYTES      one file of BYTES
 *   nfs-bench-client URL creates DIR COUNT SIZE  COUNT files of SIZE bytes in DIR (created first)
 * URL: nfs://127.0.0.1/EXPORT?version=4&nfsport=PORT
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nfsc/libnfs.h>

#define PIECE 3584
#define DEPTH 32

static int inflight, failed;
static void wrote (int status, struct nfs_context *nfs, void *data, void *priv) {
  (void)nfs; (void)priv;
  inflight--;
  if (status < 0) { fprintf(stderr, "write: %s\n", (char *)data); failed = 1; }
}

static void wait_some (struct nfs_context *nfs, int target) {
  while (inflight > target && !failed) {
    struct pollfd p = { .fd = nfs_get_fd(nfs), .events = nfs_which_events(nfs) };
    if (poll(&p, 1, 1000) < 0) { perror("poll"); exit(1); }
    if (nfs_service(nfs, p.revents) < 0) { fprintf(stderr, "service: %s\n", nfs_get_error(nfs)); exit(1); }
  }
}

int main (int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: %s URL write PATH BYTES | creates DIR COUNT SIZE\n", argv[0]); return 2; }
  struct nfs_context *nfs = nfs_init_context();
  struct nfs_url *url = nfs_parse_url_dir(nfs, argv[1]);
  if (!url) { fprintf(stderr, "url: %s\n", nfs_get_error(nfs)); return 1; }
  if (nfs_mount(nfs, url->server, url->path) != 0) { fprintf(stderr, "mount: %s\n", nfs_get_error(nfs)); return 1; }
  static char buf[PIECE];
  memset(buf, 'x', sizeof buf);
  if (strcmp(argv[2], "write") == 0 && argc == 5) {
    long long size = atoll(argv[4]);
    struct nfsfh *fh;
    if (nfs_open(nfs, argv[3], O_WRONLY | O_CREAT | O_TRUNC, &fh) != 0 && nfs_creat(nfs, argv[3], 0644, &fh) != 0) {
      fprintf(stderr, "open: %s\n", nfs_get_error(nfs)); return 1;
    }
    for (long long off = 0; off < size && !failed; off += PIECE) {
      long long n = size - off < PIECE ? size - off : PIECE;
      if (nfs_pwrite_async(nfs, fh, off, n, buf, wrote, NULL) != 0) { fprintf(stderr, "queue: %s\n", nfs_get_error(nfs)); return 1; }
      inflight++;
      wait_some(nfs, DEPTH - 1);
    }
    wait_some(nfs, 0);
    if (nfs_fsync(nfs, fh) != 0) { fprintf(stderr, "fsync: %s\n", nfs_get_error(nfs)); return 1; }
    nfs_close(nfs, fh);
  } else if (strcmp(argv[2], "creates") == 0 && argc == 6) {
    int count = atoi(argv[4]), size = atoi(argv[5]);
    char path[4096];
    nfs_mkdir(nfs, argv[3]);
    for (int i = 0; i < count; i++) {
      struct nfsfh *fh;
      snprintf(path, sizeof path, "%s/f%05d", argv[3], i);
      // nfs_creat() opens O_RDONLY|O_CREAT (READ access only): WRITEs on it are OPENMODE by RFC 7530
      if (nfs_open(nfs, path, O_WRONLY | O_CREAT | O_TRUNC, &fh) != 0) { fprintf(stderr, "create %s: %s\n", path, nfs_get_error(nfs)); return 1; }
      for (int off = 0; off < size; off += PIECE) {
        int n = size - off < PIECE ? size - off : PIECE;
        if (nfs_pwrite(nfs, fh, off, n, buf) != n) { fprintf(stderr, "write %s: %s\n", path, nfs_get_error(nfs)); return 1; }
      }
      nfs_close(nfs, fh);
    }
  } else { fprintf(stderr, "bad arguments\n"); return 2; }
  if (failed) return 1;
  nfs_destroy_url(url);
  nfs_destroy_context(nfs);
  return 0;
}
