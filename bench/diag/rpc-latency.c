// Diagnosis only (not built by the image or the tests): a library preloaded into an NFS client
// (bench/nfs-bench-client.c, libnfs) that times every call from the moment its record is sent to
// the moment the reply's record mark arrives, and prints at exit the mean per request size. A
// libnfs create loop sends each kind of call at a size of its own (over v4: the OPEN compound, the
// SETATTR, the two WRITEs, COMMIT + CLOSE), so the sizes tell the calls apart, and the same client
// run against shoal and against nfs-ganesha shows which call costs what on each server. One call
// in flight at a time (a serial client): with several in flight the pairing is wrong.
//
//   gcc -shared -fPIC -O2 -o /tmp/rpc-latency.so bench/diag/rpc-latency.c -ldl
//   LD_PRELOAD=/tmp/rpc-latency.so nfs-bench-client 'nfs://127.0.0.1/data?version=4&nfsport=PORT' creates /d 1000 4096
//
// Prints to stderr, e.g. `request 240 B: 1000 calls, mean 764 us` (session 14's figures are in
// docs/benchmarks.md). Calls seen fewer than 100 times (the mount's) are left out.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#define MAX_SIZE 8192

static double sent_at;
static size_t sent_size;
static double total_us[MAX_SIZE];
static unsigned calls[MAX_SIZE];

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr, socklen_t len) {
  static ssize_t (*real)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
  if (real == NULL) real = dlsym(RTLD_NEXT, "sendto");
  sent_at = now_us();
  sent_size = n;
  return real(fd, buf, n, flags, addr, len);
}

ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr, socklen_t *len) {
  static ssize_t (*real)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
  if (real == NULL) real = dlsym(RTLD_NEXT, "recvfrom");
  ssize_t got = real(fd, buf, n, flags, addr, len);
  // libnfs reads a reply's 4-byte record mark first (RFC 5531 §11), then the record.
  if (got == 4 && sent_at > 0 && sent_size < MAX_SIZE) {
    total_us[sent_size] += now_us() - sent_at;
    calls[sent_size]++;
    sent_at = 0;
  }
  return got;
}

// libnfs calls send() and recv(), which glibc does not route through the sendto/recvfrom symbols.
ssize_t send(int fd, const void *buf, size_t n, int flags) { return sendto(fd, buf, n, flags, NULL, 0); }
ssize_t recv(int fd, void *buf, size_t n, int flags) { return recvfrom(fd, buf, n, flags, NULL, NULL); }

__attribute__((destructor)) static void report(void) {
  for (size_t i = 0; i < MAX_SIZE; i++) {
    if (calls[i] >= 100) fprintf(stderr, "request %zu B: %u calls, mean %.0f us\n", i, calls[i], total_us[i] / calls[i]);
  }
}
