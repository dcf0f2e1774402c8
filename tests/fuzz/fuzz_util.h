/* tests/fuzz/fuzz_util.h — helpers shared by the fuzz harnesses (tests/fuzz/fuzz_*.c): a
 * private temporary directory per process for harnesses whose parser reads files, whole-file
 * writes, NUL-terminated copies of the input, and FUZZ_CHECK for the contract a parser states
 * (a violated check aborts, which libFuzzer and the replay driver report as a crash). */
#ifndef LB_FUZZ_UTIL_H
#define LB_FUZZ_UTIL_H

#define _GNU_SOURCE /* memmem */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: ", __FILE__, __LINE__, #cond);          \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A directory of this process under $TMPDIR (or /tmp), created on first use and removed at
 * exit; files in it are rewritten for every input. */
static char fuzz_dir_path[256];

static inline void fuzz_rm_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb)) return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char sub[512];
            if (snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) < (int)sizeof sub)
                fuzz_rm_tree(sub);
        }
        if (d) closedir(d);
        rmdir(path);
    } else
        unlink(path);
}

static inline void fuzz_dir_cleanup(void)
{
    if (fuzz_dir_path[0]) fuzz_rm_tree(fuzz_dir_path);
}

static inline const char *fuzz_dir(void)
{
    if (!fuzz_dir_path[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/lowbit-fuzz-XXXXXX",
                 t && *t ? t : "/tmp");
        if (!mkdtemp(fuzz_dir_path)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(fuzz_dir_cleanup);
    }
    return fuzz_dir_path;
}

/* Empty the private directory (files and subdirectories of the previous input). */
static inline void fuzz_dir_clear(void)
{
    const char *dir = fuzz_dir();
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char sub[512];
        if (snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name) < (int)sizeof sub) fuzz_rm_tree(sub);
    }
    if (d) closedir(d);
}

/* path = <private dir>/name; returns path. */
static inline char *fuzz_path(char *path, size_t cap, const char *name)
{
    if (snprintf(path, cap, "%s/%s", fuzz_dir(), name) >= (int)cap) abort();
    return path;
}

static inline void fuzz_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) {
        perror(path);
        abort();
    }
}

/* A NUL-terminated malloc'd copy of the input (free it). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) abort();
    if (size) memcpy(s, data, size);
    s[size] = 0;
    return s;
}

/* The error contract of lowbit/status.h: a failing call leaves a message; one_line: and it is
 * one line (messages that echo a user's string may carry the string's own newlines). */
static inline void fuzz_check_error(const char *msg, int one_line)
{
    FUZZ_CHECK(msg[0] != 0, "empty error message");
    FUZZ_CHECK(!one_line || strchr(msg, '\n') == NULL, "error message of several lines: %s", msg);
}

#endif
