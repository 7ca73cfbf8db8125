// Diagnosis only (not built by the image or the tests): a library preloaded after jemalloc that
// writes the allocator's statistics (JSON) and, when jemalloc runs with prof:true, a heap profile,
// each time a trigger file appears. A file, not a signal: Node resets every signal handler at start,
// and a signal it does not handle would kill the daemon.
//
//   gcc -shared -fPIC -O1 -o /tmp/jemalloc-dump.so bench/diag/jemalloc-dump.c -ldl -lpthread
//   mkdir -p /tmp/jemalloc-dump
//   (one command line:)
//   SCALE_LD_PRELOAD="/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /tmp/jemalloc-dump.so"
//   MALLOC_CONF="background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0,narenas:2,prof:true,lg_prof_sample:12"
//   SCALE_STATS_CMD='touch /tmp/jemalloc-dump/trigger-{pid}' SCALE_SLOPE_FILES=0 node dist/bench/scale.js
//
// Writes /tmp/jemalloc-dump/stats-PID-N.json and prof-PID-N.heap (read the profiles with jeprof,
// from Debian's libjemalloc-dev: `jeprof --text --base=prof-PID-0.heap $(readlink -f $(which node))
// prof-PID-1.heap`). docs/guarantees.md ("Scale, memory per file") has what they showed.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define DIR "/tmp/jemalloc-dump"

typedef void (*stats_print_t)(void (*)(void *, const char *), void *, const char *);
typedef int (*mallctl_t)(const char *, void *, size_t *, void *, size_t);

static void write_to(void *file, const char *s) { fputs(s, (FILE *)file); }

static void dump(int n) {
  char name[128];
  stats_print_t stats_print = (stats_print_t)dlsym(RTLD_DEFAULT, "malloc_stats_print");
  mallctl_t mallctl = (mallctl_t)dlsym(RTLD_DEFAULT, "mallctl");
  snprintf(name, sizeof name, DIR "/stats-%d-%d.json", getpid(), n);
  FILE *out = fopen(name, "w");
  if (out != NULL) {
    if (stats_print != NULL) stats_print(write_to, out, "J");
    fclose(out);
  }
  unsigned char prof = 0;
  size_t size = sizeof prof;
  if (mallctl == NULL || mallctl("opt.prof", &prof, &size, NULL, 0) != 0 || !prof) return;
  snprintf(name, sizeof name, DIR "/prof-%d-%d.heap", getpid(), n);
  const char *path = name;
  if (mallctl("prof.dump", NULL, NULL, &path, sizeof path) != 0) fprintf(stderr, "jemalloc-dump: prof.dump to %s failed\n", name);
}

static void *watch(void *arg) {
  (void)arg;
  char trigger[128];
  snprintf(trigger, sizeof trigger, DIR "/trigger-%d", getpid());
  for (int n = 0;;) {
    usleep(200000);
    if (access(trigger, F_OK) != 0) continue;
    unlink(trigger);
    dump(n++);
  }
  return NULL;
}

__attribute__((constructor)) static void start(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, watch, NULL) == 0) pthread_detach(t);
}
