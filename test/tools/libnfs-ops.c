/*
 * libnfs-ops: namespace operations through libnfs (libnfs-dev), for the integration tests; the
 * libnfs-utils binaries only copy and list. One mount, then each argument in order:
 *   mkdir:PATH  rmdir:PATH  unlink:PATH  rename:FROM:TO  creates:DIR:COUNT:SIZE (DIR/f00000 …)
 *   libnfs-ops nfs://127.0.0.1/NAME?version=3&nfsport=P&mountport=P OP…
 * Exits 1 at the first failure, with libnfs's message on stderr.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nfsc/libnfs.h>

static int creates (struct nfs_context *nfs, const char *dir, int count, int size) {
  static char buf[65536];
  char path[4096];
  memset(buf, 'x', sizeof buf);
  for (int i = 0; i < count; i++) {
    struct nfsfh *fh;
    snprintf(path, sizeof path, "%s/f%05d", dir, i);
    if (nfs_open(nfs, path, O_WRONLY | O_CREAT | O_TRUNC, &fh) != 0) return -1;
    for (int off = 0; off < size;) {
      int n = size - off < (int)sizeof buf ? size - off : (int)sizeof buf;
      if (nfs_pwrite(nfs, fh, off, n, buf) != n) return -1;
      off += n;
    }
    if (nfs_close(nfs, fh) != 0) return -1;
  }
  return 0;
}

int main (int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: %s URL OP…\n", argv[0]); return 2; }
  struct nfs_context *nfs = nfs_init_context();
  struct nfs_url *url = nfs_parse_url_dir(nfs, argv[1]);
  if (!url) { fprintf(stderr, "url: %s\n", nfs_get_error(nfs)); return 1; }
  if (nfs_mount(nfs, url->server, url->path) != 0) { fprintf(stderr, "mount: %s\n", nfs_get_error(nfs)); return 1; }
  for (int i = 2; i < argc; i++) {
    char *op = strdup(argv[i]);
    char *a = strchr(op, ':');
    if (!a) { fprintf(stderr, "bad op %s\n", argv[i]); return 2; }
    *a++ = 0;
    char *b = strchr(a, ':');
    if (b) *b++ = 0;
    int rc;
    if (strcmp(op, "mkdir") == 0) rc = nfs_mkdir(nfs, a);
    else if (strcmp(op, "rmdir") == 0) rc = nfs_rmdir(nfs, a);
    else if (strcmp(op, "unlink") == 0) rc = nfs_unlink(nfs, a);
    else if (strcmp(op, "rename") == 0 && b) rc = nfs_rename(nfs, a, b);
    else if (strcmp(op, "creates") == 0 && b) {
      char *c = strchr(b, ':');
      if (!c) { fprintf(stderr, "creates:DIR:COUNT:SIZE\n"); return 2; }
      *c++ = 0;
      rc = creates(nfs, a, atoi(b), atoi(c));
    } else { fprintf(stderr, "bad op %s\n", argv[i]); return 2; }
    if (rc != 0) { fprintf(stderr, "%s: %s\n", argv[i], nfs_get_error(nfs)); return 1; }
    free(op);
  }
  nfs_destroy_url(url);
  nfs_destroy_context(nfs);
  return 0;
}
