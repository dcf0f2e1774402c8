/* io/h5probe.c — run an HDF5 reader in a forked child first (io/h5probe.h). */
#define _POSIX_C_SOURCE 200809L
#include "io/h5probe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <omp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_ENV "LOWBIT_H5_PROBE_TIMEOUT"

/* Under ASan/UBSan (the sanitized builds and the libFuzzer harnesses) a report in the child must
 * not run the parent's death callback: libFuzzer's saves the current input as a crash of the
 * fuzzer. NULL where no sanitizer runtime is linked. */
#if defined(__GNUC__)
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));
#endif

/* The time limit in milliseconds: LOWBIT_H5_PROBE_TIMEOUT seconds, else 30 s + 1 s per 8 MiB. */
static lb_status probe_limit(long long size, long long *ms, lb_error *err)
{
    const char *s = getenv(TIMEOUT_ENV);
    if (s) {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < 1 || v > 86400)
            return lb_fail(err, LB_ERR_ARG,
                           TIMEOUT_ENV "='%s': expected whole seconds from 1 to 86400", s);
        *ms = v * 1000LL;
        return LB_OK;
    }
    *ms = (30 + (size > 0 ? size >> 23 : 0)) * 1000LL;
    return LB_OK;
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static const char *signal_name(int sig, char *buf, size_t cap)
{
    static const struct {
        int sig;
        const char *name;
    } names[] = {{SIGSEGV, "SIGSEGV"}, {SIGBUS, "SIGBUS"}, {SIGABRT, "SIGABRT"},
                 {SIGILL, "SIGILL"},   {SIGFPE, "SIGFPE"}, {SIGKILL, "SIGKILL"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].sig == sig) return names[i].name;
    snprintf(buf, cap, "signal %d", sig);
    return buf;
}

/* The child: quiet, default crash handlers, one thread; one byte to the parent, then _exit
 * (no atexit handlers, no stdio flush of the parent's buffers). */
static void probe_child(int wfd, lb_h5_reader reader, void *arg)
{
    int dn = open("/dev/null", O_RDWR);
    if (dn >= 0) {
        dup2(dn, STDOUT_FILENO);
        dup2(dn, STDERR_FILENO);
    }
    static const int crash[] = {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGALRM};
    for (size_t i = 0; i < sizeof crash / sizeof crash[0]; i++)
        signal(crash[i], SIG_DFL);
#if defined(__GNUC__)
    if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(NULL);
#endif
    omp_set_num_threads(1); /* the parent's OpenMP threads do not exist here */
    lb_error e = {{0}};
    char c = reader(arg, &e) ? 'E' : 'K';
    _exit(write(wfd, &c, 1) == 1 ? 0 : 1);
}

static int same_file(int ok0, const struct stat *a, int ok1, const struct stat *b)
{
    if (ok0 != ok1) return 0;
    return !ok0 ||
           (a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
            a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec);
}

lb_status lb_h5_probe_read(const char *path, lb_h5_reader reader, void *arg, lb_error *err)
{
    struct stat sb0, sb1;
    int ok0 = stat(path, &sb0) == 0;
    long long limit;
    lb_status st = probe_limit(ok0 ? (long long)sb0.st_size : 0, &limit, err);
    if (st) return st;
    int fd[2];
    if (pipe(fd))
        return lb_fail(err, LB_ERR_IO, "%s: cannot probe: pipe: %s", path, strerror(errno));
    fcntl(fd[0], F_SETFD, FD_CLOEXEC);
    fcntl(fd[1], F_SETFD, FD_CLOEXEC);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fd[0]), close(fd[1]);
        return lb_fail(err, LB_ERR_IO, "%s: cannot probe: fork: %s", path, strerror(e));
    }
    if (pid == 0) {
        close(fd[0]);
        probe_child(fd[1], reader, arg);
    }
    close(fd[1]);
    long long t0 = now_ms();
    char c = 0;
    ssize_t got = -1;
    int timed_out = 0;
    for (;;) {
        long long left = limit - (now_ms() - t0);
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        struct pollfd p = {fd[0], POLLIN, 0};
        int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (r == 0 || (r < 0 && errno == EINTR)) continue;
        if (r < 0) break;
        got = read(fd[0], &c, 1);
        if (got < 0 && errno == EINTR) continue;
        break;
    }
    close(fd[0]);
    if (got != 1) kill(pid, SIGKILL); /* not yet waited for: pid is still ours */
    int status = 0;
    pid_t w;
    while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
        ;
    char buf[32];
    if (timed_out)
        return lb_fail(err, LB_ERR_DATA,
                       "%s: corrupt HDF5 file: the reader did not finish in %lld s (" TIMEOUT_ENV
                       ")",
                       path, limit / 1000);
    /* the child returned from the reader: passed, also where waitpid cannot tell (SIGCHLD
     * ignored by the caller) */
    int passed = got == 1 && (c == 'K' || c == 'E') &&
                 (w < 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 0));
    if (!passed) {
        if (w == pid && WIFSIGNALED(status))
            return lb_fail(err, LB_ERR_DATA, "%s: corrupt HDF5 file: the reader crashed on it (%s)",
                           path, signal_name(WTERMSIG(status), buf, sizeof buf));
        if (w == pid && WIFEXITED(status))
            return lb_fail(err, LB_ERR_DATA,
                           "%s: corrupt HDF5 file: the reader crashed on it (exit status %d)", path,
                           WEXITSTATUS(status));
        return lb_fail(err, LB_ERR_DATA, "%s: corrupt HDF5 file: the reader crashed on it", path);
    }
    int ok1 = stat(path, &sb1) == 0;
    if (!same_file(ok0, &sb0, ok1, &sb1))
        return lb_fail(err, LB_ERR_IO, "%s: the file changed while it was being read", path);
    return reader(arg, err);
}
