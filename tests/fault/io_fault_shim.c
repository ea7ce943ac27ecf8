/* An LD_PRELOAD library for the fault tests: fails one call to open, openat, read, write, rename,
 * fsync, flock or mkdir, as a full disk, a failing disk, a permission change or an exhausted
 * file table would, and passes every other call through.
 *
 *   JITCU_FAULT_AT=N        fail the Nth call (counting all calls to the functions below,
 *                           from 1); 0 or unset: fail none, only count
 *   JITCU_FAULT_ERRNO=NAME  EIO (default), ENOSPC, EACCES or EMFILE
 *   JITCU_FAULT_COUNT=PATH  at exit, write "<calls> <failed function or ->" to PATH
 *   JITCU_FAULT_EVERY=LIST  also fail every call to the functions named (comma-separated, e.g.
 *                           "write,mkdir" with ENOSPC: a full disk, where no new data and no new
 *                           folder fit; pwrite is not intercepted: rewriting a file's own bytes in
 *                           place needs no new block, and a full disk allows it)
 *
 * Calls from libc's own internals (fopen, the dynamic loader) do not pass through here; calls
 * that jitcu, libstdc++ and NVRTC make through the PLT do. Counting is process-wide and atomic. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static atomic_long calls;
static long fail_at;
static int fail_errno = EIO;
static const char* failed_function;
static const char* fail_every;

__attribute__((constructor)) static void read_settings(void) {
  const char* at = getenv("JITCU_FAULT_AT");
  fail_at = at ? atol(at) : 0;
  const char* name = getenv("JITCU_FAULT_ERRNO");
  if (name && strcmp(name, "ENOSPC") == 0) fail_errno = ENOSPC;
  else if (name && strcmp(name, "EACCES") == 0) fail_errno = EACCES;
  else if (name && strcmp(name, "EMFILE") == 0) fail_errno = EMFILE;
  fail_every = getenv("JITCU_FAULT_EVERY");
}

/* True when `function` is one of JITCU_FAULT_EVERY's comma-separated names. */
static int fails_every_call(const char* function) {
  if (!fail_every) return 0;
  const size_t length = strlen(function);
  for (const char* at = fail_every; *at;) {
    const char* end = strchr(at, ',');
    const size_t size = end ? (size_t)(end - at) : strlen(at);
    if (size == length && strncmp(at, function, length) == 0) return 1;
    if (!end) break;
    at = end + 1;
  }
  return 0;
}

__attribute__((destructor)) static void write_count(void) {
  const char* path = getenv("JITCU_FAULT_COUNT");
  if (!path) return;
  FILE* out = fopen(path, "w");
  if (!out) return;
  fprintf(out, "%ld %s\n", atomic_load(&calls), failed_function ? failed_function : "-");
  fclose(out);
}

/* True when this call is the one to fail (errno is then set). */
static int should_fail(const char* function) {
  const long n = atomic_fetch_add(&calls, 1) + 1;
  if (fails_every_call(function)) {
    errno = fail_errno;
    return 1;
  }
  if (fail_at <= 0 || n != fail_at) return 0;
  failed_function = function;
  errno = fail_errno;
  return 1;
}

/* The real function, looked up once. */
#define NEXT(name)                        \
  static __typeof__(&name) next_##name;   \
  if (!next_##name) next_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

int open(const char* path, int flags, ...) {
  mode_t mode = 0;
  if (flags & (O_CREAT | O_TMPFILE)) {
    va_list args;
    va_start(args, flags);
    mode = va_arg(args, mode_t);
    va_end(args);
  }
  NEXT(open);
  if (should_fail("open")) return -1;
  return next_open(path, flags, mode);
}

int open64(const char* path, int flags, ...) {
  mode_t mode = 0;
  if (flags & (O_CREAT | O_TMPFILE)) {
    va_list args;
    va_start(args, flags);
    mode = va_arg(args, mode_t);
    va_end(args);
  }
  NEXT(open64);
  if (should_fail("open")) return -1;
  return next_open64(path, flags, mode);
}

int openat(int dir, const char* path, int flags, ...) {
  mode_t mode = 0;
  if (flags & (O_CREAT | O_TMPFILE)) {
    va_list args;
    va_start(args, flags);
    mode = va_arg(args, mode_t);
    va_end(args);
  }
  NEXT(openat);
  if (should_fail("openat")) return -1;
  return next_openat(dir, path, flags, mode);
}

ssize_t read(int fd, void* buffer, size_t size) {
  NEXT(read);
  if (should_fail("read")) return -1;
  return next_read(fd, buffer, size);
}

ssize_t write(int fd, const void* buffer, size_t size) {
  NEXT(write);
  if (should_fail("write")) return -1;
  return next_write(fd, buffer, size);
}

int rename(const char* from, const char* to) {
  NEXT(rename);
  if (should_fail("rename")) return -1;
  return next_rename(from, to);
}

int renameat(int from_dir, const char* from, int to_dir, const char* to) {
  NEXT(renameat);
  if (should_fail("rename")) return -1;
  return next_renameat(from_dir, from, to_dir, to);
}

int fsync(int fd) {
  NEXT(fsync);
  if (should_fail("fsync")) return -1;
  return next_fsync(fd);
}

int fdatasync(int fd) {
  NEXT(fdatasync);
  if (should_fail("fsync")) return -1;
  return next_fdatasync(fd);
}

int flock(int fd, int operation) {
  NEXT(flock);
  if (should_fail("flock")) return -1;
  return next_flock(fd, operation);
}

int mkdir(const char* path, mode_t mode) {
  NEXT(mkdir);
  if (should_fail("mkdir")) return -1;
  return next_mkdir(path, mode);
}

int mkdirat(int dir, const char* path, mode_t mode) {
  NEXT(mkdirat);
  if (should_fail("mkdir")) return -1;
  return next_mkdirat(dir, path, mode);
}
